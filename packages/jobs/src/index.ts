export * from "./definitions.ts";
export * from "./producer.ts";
export * from "./consumer.ts";
