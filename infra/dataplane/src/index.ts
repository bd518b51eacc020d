/** The NVI data path on a lab: the TSC with the mapping, wired to lab hosts (see README.md). */
export { firstEcho, startFlood, type Flood } from "./flood.ts";
export { fabricHostOf, startDataplaneLab, type DataplaneLab, type DataplaneOptions, type Tenancy } from "./harness.ts";
