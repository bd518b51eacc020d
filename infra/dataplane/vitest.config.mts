import { vitestPreset } from "../../scripts/vitest-preset.mts";
import { useOwnDatabase } from "../../scripts/test-support/suite-database.mts";

useOwnDatabase("dataplane");

export default vitestPreset("dataplane", {
  stories: true,
  test: {
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 330_000,
    globalSetup: ["../../scripts/test-support/suite-database.mts"],
  },
});
