#!/usr/bin/env bash
# Runs every check and test suite of the product, after making this machine able to
# (same self-setup as scripts/up.sh). Ends with one line: `N passed, N failed, N skipped`.
#   gates:  formatting (prettier) + lint + typecheck, import cycles, migrations match the schema
#   suites: unit + integration (vitest, real Postgres/Redis/Open vSwitch), end-to-end (Playwright, Chromium)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"
cd "$ROOT"
setup_machine

export TEST_RESULTS_DIR="$ROOT/test-results"
rm -rf "$TEST_RESULTS_DIR"
mkdir -p "$TEST_RESULTS_DIR/screenshots"

failed_gates=()
failed_steps=()
step() {
  local name="$1"; shift
  log "$name"
  local started=$SECONDS
  if "$@"; then
    printf '    %s: ok (%ss)\n' "$name" $((SECONDS - started))
  else
    printf '    %s: FAILED (%ss)\n' "$name" $((SECONDS - started))
    return 1
  fi
}

step "formatting (prettier --check)" pnpm --silent format:check || failed_gates+=("formatting: run pnpm format")
step "lint and typecheck" pnpm turbo run lint typecheck --output-logs=errors-only || failed_gates+=("lint/typecheck")
step "no import cycles" node scripts/check-cycles.mjs || failed_gates+=("import cycles")
step "migrations match prisma/schema.prisma" pnpm --silent db:check || failed_gates+=("migrations")
step "unit and integration tests" pnpm turbo run test --concurrency=2 --continue --output-logs=new-only || failed_steps+=("unit/integration")
step "build" pnpm turbo run build --output-logs=errors-only || failed_steps+=("build")
step "end-to-end tests (Chromium)" pnpm --filter @nvi/e2e test:e2e || failed_steps+=("e2e")

# A suite that crashed before writing its report still counts, as a failure.
missing=()
for dir in apps/* packages/* infra/lab infra/dataplane; do
  [ -f "$dir/package.json" ] && grep -q '"test": "vitest' "$dir/package.json" || continue
  name="$(basename "$dir")"
  [ -f "$TEST_RESULTS_DIR/vitest-$name.json" ] || missing+=(--missing "$name")
done
[ -f "$TEST_RESULTS_DIR/playwright.json" ] || missing+=(--missing playwright)

echo
[ ${#failed_gates[@]} -eq 0 ] || echo "Failed gates: ${failed_gates[*]}"
[ ${#failed_steps[@]} -eq 0 ] || echo "Failed steps: ${failed_steps[*]}"
echo "Screenshots and reports: $TEST_RESULTS_DIR"
summary_status=0
node scripts/test-summary.mjs "${missing[@]}" || summary_status=$?
if [ ${#failed_gates[@]} -gt 0 ] || [ ${#failed_steps[@]} -gt 0 ] || [ $summary_status -ne 0 ]; then exit 1; fi
