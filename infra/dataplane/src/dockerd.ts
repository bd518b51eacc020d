import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { run } from "@nvi/lab";

/**
 * A private Docker daemon for a lab test: its own data root, exec root, socket and pidfile under
 * `dir`, no iptables, no bridge (containers get `--network none` and our own veth). Agents reach it
 * with DOCKER_HOST. One local image, `local/busybox:latest`, imported from the host's static
 * busybox (no registry); its default command serves a page on tcp/80. Stopped by its PID.
 */
export interface Dockerd {
  host: string;
  image: string;
  stop(): Promise<void>;
}

export async function startDockerd(dir: string): Promise<Dockerd> {
  if (!existsSync("/usr/sbin/dockerd") || !existsSync("/bin/busybox"))
    throw new Error("dockerd or busybox missing: apt-get install docker.io busybox-static");
  await mkdir(dir, { recursive: true });
  const host = `unix://${dir}/docker.sock`;
  const child = spawn(
    "/usr/sbin/dockerd",
    [
      "--data-root",
      `${dir}/data`,
      "--exec-root",
      `${dir}/exec`,
      "--pidfile",
      `${dir}/docker.pid`,
      "-H",
      host,
      "--iptables=false",
      "--ip6tables=false",
      "--ip-forward=false",
      "--ip-masq=false",
      "--bridge=none",
    ],
    { stdio: ["ignore", "ignore", "ignore"], detached: true },
  );
  child.unref();
  const env = { DOCKER_HOST: host };
  const end = Date.now() + 20_000;
  for (;;) {
    const ok = await run("docker", ["version", "--format", "{{.Server.Version}}"], { env }).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (Date.now() > end) throw new Error(`dockerd did not start (see ${dir})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const rootfs = path.join(dir, "rootfs");
  await mkdir(path.join(rootfs, "bin"), { recursive: true });
  await copyFile("/bin/busybox", path.join(rootfs, "bin/busybox"));
  for (const applet of (await run("/bin/busybox", ["--list"])).split("\n").filter((a) => a && a !== "busybox")) {
    await symlink("busybox", path.join(rootfs, "bin", applet)).catch(() => undefined);
  }
  // without a command the container serves this page on tcp/80 (busybox httpd in the foreground)
  await mkdir(path.join(rootfs, "www"), { recursive: true });
  await writeFile(path.join(rootfs, "www/index.html"), "<h1>hello from an NVI container</h1>\n");
  const image = "local/busybox:latest";
  await run(
    "sh",
    ["-c", `tar -C ${rootfs} -c . | docker import -c 'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]' - ${image}`],
    { env },
  );
  return {
    host,
    image,
    async stop() {
      const pid = Number((await readFile(`${dir}/docker.pid`, "utf8").catch(() => "")).trim());
      if (pid > 0) {
        process.kill(pid, "SIGTERM");
        for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
        if (existsSync(`/proc/${pid}`)) process.kill(pid, "SIGKILL");
      }
      // containerd shims started by this daemon are gone with it; its files go too
      await rm(dir, { recursive: true, force: true }).catch(async () => {
        for (const e of await readdir(dir).catch(() => []))
          await rm(path.join(dir, e), { recursive: true, force: true }).catch(() => undefined);
      });
    },
  };
}
