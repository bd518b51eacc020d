import { vitestPreset } from "../../scripts/vitest-preset.mts";

export default vitestPreset("compose", { test: { testTimeout: 60_000 } });
