#!/bin/sh
# Prisma's CLI insists on a native schema engine before `generate`, and that binary
# is not on npm. `generate` never calls it, so any file that answers --version will do.
# Migrations go through packages/db-migrate instead.
echo "schema-engine-cli stub"
exit 0
