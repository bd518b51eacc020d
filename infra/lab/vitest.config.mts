import { vitestPreset } from "../../scripts/vitest-preset.mts";

export default vitestPreset("lab", {
  stories: true,
  test: { fileParallelism: false, testTimeout: 120_000, hookTimeout: 180_000 },
});
