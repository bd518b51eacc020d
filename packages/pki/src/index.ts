export * from "./pki.ts";
