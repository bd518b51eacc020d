export * from "./services.ts";
export * from "./view.ts";
