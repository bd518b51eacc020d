import { vitestPreset } from "../../scripts/vitest-preset.mts";

export default vitestPreset("policy");
