/**
 * Real OpenSSH public keys for tests (made once with `ssh-keygen -t … -N ""`; the private halves were
 * thrown away) and the fingerprints `ssh-keygen -l` printed for them: the console must agree.
 */
export const TEST_SSH_KEYS = {
  ed25519A: {
    line: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKWi+0RzmGnN+b9erSAJLuZatuoNuaVFEjZu9AQdZ6PU a@test",
    fingerprint: "SHA256:LuRgoyZtR6KlZvfCd9T/8oU5tTZgF2pXDgy/3uPn9uk",
    bits: 256,
  },
  ed25519B: {
    line: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMhTKcw/Othq6dYgunBrYoQ+V11PTX2owh6j8NaGdc01 b@test",
    fingerprint: "SHA256:HYEA6V5KqG/aujdwK7i/Hw3G96xBd18gH3EUhxzzLvI",
    bits: 256,
  },
  ed25519C: {
    line: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ6XpCQ5+8zgg78iDQmfZkDV82R4s1C5Z94v1azsUhoq c@test",
    fingerprint: "SHA256:tWIQg5p52rO4wSzBJjFbo09yOKvmUPQiFWkS9wLu5mM",
    bits: 256,
  },
  ecdsa256: {
    line: "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCh22Zr7v7jQWQui8hsqbuhrfI/Nar3rva15Q95INhwE4HZU07lFIvwotxAzi6hu5Liy/bPQzeUpYPi/a3TaS7Y= p256@test",
    fingerprint: "SHA256:c2jtDNa6onKIroa7R6w7TwL7alLkMxi8efvDAOEy9FY",
    bits: 256,
  },
  ecdsa384: {
    line: "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBMJ2wx0sByp0HuA1NjFrfkReQdF6Zso7camnBqDahxo8GJzF1TDk0zgTHGD8Bcu61u1iS2WRsy/oS0ZhCeWiaahORI3NXwLH85QASKO85qTSKhTUEmG8ubLx4Rbc/hmsSw== p384@test",
    fingerprint: "SHA256:hN3POQp+xmJM2b1rw9Bvq0Oze+hjLMmsK0KxD19G/9Q",
    bits: 384,
  },
  ecdsa521: {
    line: "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBADLx7yLESH0qEjYhu9zFOGpLo4UL27CjChOhCDEaJsemV7sH9oZt603WdlxMIDfTlkP3fBBqAn+0WPSawu3IIUKlwHxtGjZ0gbKEc+B7jKp4udHAugA0NT1V7TIAdEgeMG6UamClsMteA0oGTG7YLypUzL3eOsjPXM/F3wIpbWn0fIOjQ== p521@test",
    fingerprint: "SHA256:AziqWx+uboMnpKofljZjh7rdSeVTqfSUlN+Mvfp/GN0",
    bits: 521,
  },
  rsa2048: {
    line: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCWdc/lMcQGRPMTDOjrBQa3jxlt/HX0no28DBHhP+LCJV2h/d6i9mn8DkIOyFuWYElPl4e6FstEfG31zavIaWZB89S9SyrAHME6MxA9nAA7SIxqBMH1a6Y17FZOOl+Jh0a5x42lPYG4ZTWLtHoxlnESOBtZ+8Hl5Df3wJPGsonR3OUHrKobneEcvp3KPHPkLDXEvwLGwsmFbnAsY8wVCuD5F6RqaFtvXYWonhJP08YTd9p28iGkgu2CfyJ//UTF1uU7eWeu36Taq3IxpbPZDpFtZiL5Te69SE7U1D8MojlX+WKmDsOWpHNiCP8aNZkWsP/YqPvcWuZHHzDONdAbou7J rsa2048@test",
    fingerprint: "SHA256:AnJ827hNZFIV0YVmGj7pVU02eQEivbpIDzwWv0oxVSs",
    bits: 2048,
  },
  rsa4096: {
    line: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAACAQCdutCmFIXa8SrzBEVDsExKLJz8q8suEniIbkduoh+AsokfVPxtMe3pr/Yy4sxPz7bGCJqLC3iTZ6rreRjaME5uzYWeEk+7aCX20LuPPLkHcbGEj7mqjoXnODYYQ2GelD8nkFwZFv0EDpQqjR+/lRpvzqQYU3kNWG6aar3UsFV8+g1WptDPOAfaeltsqSuhRDaxL7bG54UHDBDyPSmnoRae0h+ZYh4otUblJ4ETEG8UZ1MdhTkVBF7aNgmz+0ADb8sQuI2ThD+jLUj9EF7NJ3YprpkKeF1bsoSZ7YvYq10EcmNVLAWoLQZ/FvmKoqqzvQoEqhPEsgm0JIe7v4aBVJFoAudKbMMLGk4a7qlMKK/8UDLDw6iiNWJIukJDGxuesFvnWbDFzBZLmigTSr1AEhT7RxAqi2rcsC+ha1AGv6yW3h+rYvetHVR8+vUEgWasFWqx0zrZ/z8NkOwYgeRkTVbIyDSWeGL4Gv6KMUzQjpQHGmuVgHd3XPk83GPOBzNHyWH6ps4BpvJhTBV4cD5AyYxObd1BdYX7col8FCHXLNIM3JgTSdKw85QjUiSDQqau2y3UlENE3jRk9C9bamtO3FQ0qdwV2+YQvAqWhGhNgbV1qIx/rezmyEzqkoHXZIiBmXMohVt4GF0BjMKOWgjmd58ta4sEnUlLoGo54KDOD9Imgw== rsa4096@test",
    fingerprint: "SHA256:dxPj2EkIxn+jK+St/h31PX4FKmg3SyprOAjp4SkH1Hw",
    bits: 4096,
  },
  rsa1024: {
    line: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDHczoQPPUqBrSrMWAUi52sHpErlDLgeMQpNJfhiNlb9ovLfdMXYQXIy39QCyvUvXO5SeQVBAACgEmdlrQy7EbHooKmQI4qAquMXmmdH2qVUTZay4cfqBPC9BkJYNyg/nSghXfhDO1mtpGnTxsTWIj6EPMaqLXxekHo8GQp6JpphQ== rsa1024@test",
    fingerprint: "SHA256:G+kLP3K9+94TrbFy/TIQRRV2mWDM0tEgnj88yFmFWYc",
    bits: 1024,
  },
} as const;
