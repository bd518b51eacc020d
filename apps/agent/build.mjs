// Bundles the agent into one file, dist/nvi-agent.cjs: the workspace packages (@nvi/contracts,
// @nvi/pki) and the npm dependencies inlined, only Node's built-ins left outside. It runs on plain
// Node (`node dist/nvi-agent.cjs`), no tsx, no node_modules. The .deb (infra/package) ships it.
import { build } from "esbuild";
import { chmod, rename } from "node:fs/promises";

const out = new URL("./dist/nvi-agent.cjs", import.meta.url).pathname;
// written beside and renamed into place: suites that build it side by side never read half a file
const tmp = `${out}.${process.pid}.tmp`;
const result = await build({
  entryPoints: [new URL("./src/main.ts", import.meta.url).pathname],
  outfile: tmp,
  bundle: true,
  platform: "node",
  target: "node20.19",
  format: "cjs",
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
  metafile: true,
});
await chmod(tmp, 0o755);
await rename(tmp, out);
const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
console.log(`dist/nvi-agent.cjs ${(bytes / 1024).toFixed(0)} KiB`);
