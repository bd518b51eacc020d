import { vitestPreset } from "../../scripts/vitest-preset.mts";

export default vitestPreset("agent", { test: { testTimeout: 60_000, hookTimeout: 330_000 } });
