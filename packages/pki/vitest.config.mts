import { defineConfig } from "vitest/config";
import { suiteReporters } from "../../scripts/vitest-reporters.mts";

export default defineConfig({ test: { include: ["src/**/*.test.ts"], reporters: suiteReporters("pki") } });
