/* ad-hoc check (not committed): the demo's agents enroll over HTTPS through the local-hosts relay */
import { readFile } from "node:fs/promises";
import { startLocalHosts, joinLocalHost } from "./local-hosts.ts";
import { startStack } from "./stack.ts";

const stack = await startStack("127.0.0.1");
const hosts = await startLocalHosts({ consoleUrl: stack.apiUrl, datacenters: 1, hostsPerDc: 1, stateFile: "/tmp/tls-check/lh.json" });
try {
  console.log("relay", hosts.state.controlUrl, hosts.state.caFile);
  const cloud = await stack.call("POST", "/clouds", { name: `https-${Date.now()}`, kind: "baremetal", region: "lab", datacenter: "dc1" });
  const jt = await stack.call("POST", `/clouds/${cloud.body.id}/join-tokens`, { reusable: false, expiresInHours: 1 });
  await joinLocalHost("/tmp/tls-check/lh.json", 1, jt.body.joinString);
  const end = Date.now() + 60_000;
  let host: { id: string; status: string } | undefined;
  while (Date.now() < end && !host) {
    const r = await stack.call("GET", "/hosts");
    host = (r.body as { id: string; cloudId: string; status: string }[]).find((h) => h.cloudId === cloud.body.id && h.status === "online");
    await new Promise((r) => setTimeout(r, 500));
  }
  const log = await readFile(`${hosts.lab.runDir}/h1/agent.log`, "utf8").catch(() => "");
  console.log(host ? `ENROLLED OVER HTTPS: ${host.id}` : `NOT ENROLLED\n${log.slice(-2000)}`);
  console.log(log.split("\n").filter((l) => l.includes("enrolled") || l.includes("certificate")).join("\n"));
  if (host) await stack.deps.db.host.delete({ where: { id: host.id } });
} finally {
  await hosts.close();
  await stack.close();
}
