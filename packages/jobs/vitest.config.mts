import { vitestPreset } from "../../scripts/vitest-preset.mts";

export default vitestPreset("jobs");
