// One lint gate for the whole workspace: typed rules (floating/misused promises),
// a file-length cap, and import boundaries between packages (ARCHITECTURE.md).
import tseslint from "typescript-eslint";

const boundaries = {
  contracts: [],
  openflow: [],
  pki: [],
  db: ["@nvi/contracts"],
  jobs: ["@nvi/contracts"],
  policy: ["@nvi/contracts"],
  core: ["@nvi/db", "@nvi/contracts", "@nvi/jobs", "@nvi/policy", "@nvi/pki"],
  api: ["@nvi/core", "@nvi/contracts"],
  controller: ["@nvi/openflow", "@nvi/contracts", "@nvi/policy", "@nvi/pki"],
};
const allOurs = ["contracts", "openflow", "pki", "db", "jobs", "policy", "core", "api", "controller", "db-migrate"];

function boundaryRules(pkg) {
  const allowed = new Set(boundaries[pkg]);
  const forbidden = allOurs.map((p) => `@nvi/${p}`).filter((p) => !allowed.has(p) && p !== `@nvi/${pkg}`);
  return {
    files: [`packages/${pkg}/src/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: forbidden.flatMap((p) => [p, `${p}/*`]), message: `packages/${pkg} may import only: ${[...allowed].join(", ") || "nothing of ours"} (ARCHITECTURE.md)` },
            { group: ["**/apps/**", "@nvi/web", "@nvi/worker", "@nvi/agent", "@nvi/cli"], message: "no package imports an app" },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/.next/**", "**/dist/**", "**/src/generated/**", "**/next-env.d.ts", "**/*.mjs", "**/*.mts", "**/playwright.config.ts", "bench/**"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "off",
      "@typescript-eslint/only-throw-error": "off",
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "read env through the app's validated env.ts" }],
    },
  },
  { files: ["**/env.ts", "**/*.test.ts", "**/*.integration.test.ts", "e2e/**", "**/test-support/**"], rules: { "no-restricted-properties": "off" } },
  {
    files: ["**/*.test.ts", "e2e/**"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-base-to-string": "off",
    },
  },
  ...Object.keys(boundaries).map(boundaryRules),
);
