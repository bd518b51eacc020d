import { describeTenantIsolation } from "../test-support/tenant-isolation.ts";
import { cloudsHostsCases } from "./clouds-hosts.cases.ts";

// B against A's clouds and hosts (the world and the loops: test-support/tenant-isolation.ts)
describeTenantIsolation(cloudsHostsCases);
