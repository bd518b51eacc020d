import { vitestPreset } from "../../scripts/vitest-preset.mts";

export default vitestPreset("package", { stories: true, test: { testTimeout: 60_000, hookTimeout: 180_000 } });
