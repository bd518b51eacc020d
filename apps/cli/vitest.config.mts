import { vitestPreset } from "../../scripts/vitest-preset.mts";

export default vitestPreset("cli", { test: { fileParallelism: false, testTimeout: 20_000, hookTimeout: 60_000 } });
