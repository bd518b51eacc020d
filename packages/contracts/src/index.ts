export * from "./ids.ts";
export * from "./access.ts";
export * from "./dto.ts";
export * from "./hosts.ts";
export * from "./instances.ts";
export * from "./reachability.ts";
export * from "./policy.ts";
