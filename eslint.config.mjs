// One lint gate for the whole workspace: typed rules (floating/misused promises),
// a file-length cap, and import boundaries between packages and apps (ARCHITECTURE.md).
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
const allOurs = [
  "contracts",
  "openflow",
  "pki",
  "db",
  "jobs",
  "policy",
  "core",
  "api",
  "controller",
  "db-migrate",
  "lab",
  "dataplane",
];
const apps = ["@nvi/web", "@nvi/worker", "@nvi/agent", "@nvi/cli"];
/** What each app may import: `src` for the product, `tests` also for its tests, `client` for the console's browser code. */
const appBoundaries = {
  web: {
    src: ["@nvi/api", "@nvi/contracts", "@nvi/core", "@nvi/jobs", "@nvi/policy"],
    client: ["@nvi/contracts", "@nvi/policy"],
  },
  worker: { src: ["@nvi/contracts", "@nvi/controller", "@nvi/core", "@nvi/jobs", "@nvi/policy"] },
  agent: {
    src: ["@nvi/contracts", "@nvi/openflow", "@nvi/pki"],
    tests: ["@nvi/contracts", "@nvi/controller", "@nvi/lab", "@nvi/openflow", "@nvi/pki"],
  },
  cli: { src: ["@nvi/contracts"], tests: ["@nvi/contracts", "@nvi/api", "@nvi/core"] },
};

function restrictTo(files, who, allowed, self) {
  const forbidden = allOurs.map((p) => `@nvi/${p}`).filter((p) => !allowed.includes(p));
  const others = apps.filter((a) => a !== self);
  return {
    files,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: forbidden.flatMap((p) => [p, `${p}/*`]),
              message: `${who} may import only: ${allowed.join(", ")} (ARCHITECTURE.md)`,
            },
            { group: [...others, ...others.map((a) => `${a}/*`)], message: "no app imports another app" },
          ],
        },
      ],
    },
  };
}

function appBoundaryRules(app) {
  const b = appBoundaries[app];
  const self = `@nvi/${app}`;
  return [
    restrictTo([`apps/${app}/src/**/*.{ts,tsx}`], `apps/${app}`, b.src, self),
    ...(b.tests ? [restrictTo([`apps/${app}/src/**/*.test.ts`], `apps/${app}'s tests`, b.tests, self)] : []),
    ...(b.client
      ? [
          restrictTo(
            [`apps/${app}/src/components/**/*.{ts,tsx}`, `apps/${app}/src/lib/**/*.{ts,tsx}`],
            `apps/${app}'s browser code`,
            b.client,
            self,
          ),
        ]
      : []),
  ];
}

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
            {
              group: forbidden.flatMap((p) => [p, `${p}/*`]),
              message: `packages/${pkg} may import only: ${[...allowed].join(", ") || "nothing of ours"} (ARCHITECTURE.md)`,
            },
            {
              group: ["**/apps/**", "@nvi/web", "@nvi/worker", "@nvi/agent", "@nvi/cli"],
              message: "no package imports an app",
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/.next/**",
      "**/dist/**",
      "**/src/generated/**",
      "**/next-env.d.ts",
      "**/*.mjs",
      "**/*.mts",
      "**/playwright.config.ts",
      "bench/**",
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "off",
      "@typescript-eslint/only-throw-error": "off",
      "max-lines": ["error", { max: 350, skipBlankLines: true, skipComments: true }],
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "read env through the app's validated env.ts" },
      ],
    },
  },
  {
    files: ["**/env.ts", "**/*.test.ts", "**/*.integration.test.ts", "e2e/**", "**/test-support/**"],
    rules: { "no-restricted-properties": "off" },
  },
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
  ...Object.keys(appBoundaries).flatMap(appBoundaryRules),
);
