import { describeTenantIsolation } from "../test-support/tenant-isolation.ts";
import { organizationCases } from "./organization.cases.ts";

// B against A's organization (the world and the loops: test-support/tenant-isolation.ts)
describeTenantIsolation(organizationCases);
