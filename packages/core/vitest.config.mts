import { vitestPreset } from "../../scripts/vitest-preset.mts";

export default vitestPreset("core", { test: { fileParallelism: false, testTimeout: 20_000, hookTimeout: 60_000 } });
