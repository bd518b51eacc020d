import { describeTenantIsolation } from "../test-support/tenant-isolation.ts";
import { policyCases } from "./policy.cases.ts";

// B against A's policy (the world and the loops: test-support/tenant-isolation.ts)
describeTenantIsolation(policyCases);
