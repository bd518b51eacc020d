import { describeTenantIsolation } from "../test-support/tenant-isolation.ts";
import { networksInstancesCases } from "./networks-instances.cases.ts";

// B against A's networks and instances (the world and the loops: test-support/tenant-isolation.ts)
describeTenantIsolation(networksInstancesCases);
