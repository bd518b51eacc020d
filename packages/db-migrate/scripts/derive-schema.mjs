import { writeDerived } from "./schema-files.mjs";

writeDerived();
