// CI gate: no import cycles, neither between workspace packages (package.json
// dependencies) nor between modules inside them (dpdm over every src/ tree). Type-only imports
// count: two modules that need each other's types are as tangled as two that need each other's
// values (dpdm's --transform would drop them, so it is not used; a canary keeps it that way).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dirs = [
  ...["apps", "packages"].flatMap((d) => readdirSync(path.join(root, d)).map((n) => path.join(root, d, n))),
  path.join(root, "infra/lab"),
];
const pkgs = new Map();
for (const dir of dirs) {
  const file = path.join(dir, "package.json");
  if (!existsSync(file)) continue;
  const json = JSON.parse(readFileSync(file, "utf8"));
  const deps = Object.keys({ ...json.dependencies, ...json.devDependencies }).filter((d) => d.startsWith("@nvi/"));
  pkgs.set(json.name, { dir, deps });
}

let failed = false;
const state = new Map();
function visit(name, trail) {
  if (state.get(name) === "done") return;
  if (state.get(name) === "active") {
    failed = true;
    console.error(`package cycle: ${[...trail.slice(trail.indexOf(name)), name].join(" -> ")}`);
    return;
  }
  state.set(name, "active");
  for (const dep of pkgs.get(name)?.deps ?? []) visit(dep, [...trail, name]);
  state.set(name, "done");
}
for (const name of pkgs.keys()) visit(name, []);
for (const [name, { deps }] of pkgs) {
  if (!name.startsWith("@nvi/") || name === "@nvi/e2e") continue;
  const isApp = pkgs.get(name).dir.includes(`${path.sep}apps${path.sep}`);
  for (const dep of deps) {
    if (pkgs.get(dep)?.dir.includes(`${path.sep}apps${path.sep}`) && !isApp) {
      failed = true;
      console.error(`package ${name} depends on app ${dep}: packages never import apps`);
    }
  }
}

const dpdm = (globs, cwd) =>
  execFileSync(
    path.join(root, "node_modules/.bin/dpdm"),
    ["--no-warning", "--no-tree", "--exit-code", "circular:1", "--exclude", "generated|node_modules", ...globs],
    {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    },
  );

// the canary: two modules that import only each other's types must be reported as a cycle
try {
  dpdm(["*.ts"], path.join(root, "scripts/cycle-canary"));
  failed = true;
  console.error(
    "the module check missed the type-only cycle in scripts/cycle-canary: it would miss one in the code too",
  );
} catch {
  // reported, as it must be
}

const entries = [...pkgs.values()]
  .map((p) => path.join(p.dir, "src"))
  .filter(existsSync)
  .map((d) => `${path.relative(root, d)}/**/*.{ts,tsx}`);
try {
  dpdm(entries, root);
} catch (error) {
  failed = true;
  console.error(`module cycles found (type-only imports count):\n${error.stdout ?? ""}${error.stderr ?? ""}`);
}
if (failed) process.exit(1);
console.log(`no import cycles (${pkgs.size} packages, ${entries.length} source trees)`);
