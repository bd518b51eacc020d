import { vitestPreset } from "../../scripts/vitest-preset.mts";

export default vitestPreset("dataplane", {
  stories: true,
  test: { fileParallelism: false, testTimeout: 120_000, hookTimeout: 330_000 },
});
