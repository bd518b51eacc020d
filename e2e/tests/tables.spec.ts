import { expect, test } from "@playwright/test";
import { email, expectInConsole, hydrated, rowAction, screenshot, signUp } from "./helpers.ts";
import { seedLargeOrganization } from "./seed.ts";

/**
 * Issue 17, "tables that scale": an organization with 1,000 instances, 100 hosts and 2,000 audit
 * events. The tables page on the server (search, filters, sort, Load more), name and link their
 * objects, keep row actions in a menu, and stop many instances at once with one progress view.
 */
test("1,000 instances: search, filter, sort, page; bulk stop with one progress view; operations and audit by name", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const me = email("tables");
  await signUp(page, { name: "Tables", email: me });
  await expectInConsole(page);
  await seedLargeOrganization(me, { hosts: 100, instances: 1000, audit: 2000 });

  await page.goto("/instances");
  await hydrated(page);
  await expect(page.getByTestId("page-count")).toHaveText("Showing 100 of 1,000 instances");
  await expect(page.getByRole("table", { name: "Instances" }).locator("tbody tr")).toHaveCount(100);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(page.getByTestId("page-count")).toHaveText("Showing 200 of 1,000 instances");

  // sort on the server: the last name first, though it was never on a loaded page
  await page.getByRole("button", { name: /^Instance/ }).click();
  await expect(page.getByRole("columnheader", { name: /Instance/ })).toHaveAttribute("aria-sort", "descending");
  await expect(page.getByRole("table", { name: "Instances" }).locator("tbody tr").first()).toHaveAttribute(
    "data-testid",
    "instance-vm-0999",
  );

  // filter by status and search by name, address or host
  await page.getByLabel("Status").selectOption("stopped");
  await expect(page.getByTestId("page-count")).toHaveText("Showing 100 of 100 instances");
  await page.getByLabel("Status").selectOption("");
  await page.getByLabel("Search").fill("scale-gw-1-h002");
  await expect(page.getByTestId("page-count")).toHaveText("Showing 10 of 10 instances");
  await page.getByLabel("Search").fill("vm-000");
  await expect(page.getByTestId("page-count")).toHaveText("Showing 10 of 10 instances");
  await screenshot(page, "instances-1000-search");

  // a row's actions stay in its menu
  await rowAction(page.getByTestId("instance-vm-0003"), "Stop");
  await expect(page.getByTestId("instance-vm-0003")).toContainText("stopping");

  // bulk: tick what the search shows, stop them; one operation each, refusals on their line
  await page.getByRole("checkbox", { name: "Select all shown" }).check();
  await expect(page.getByTestId("bulk-bar")).toContainText("10 selected");
  await page.getByTestId("bulk-stop").click();
  const progress = page.getByTestId("bulk-progress");
  await expect(progress).toBeFocused();
  // vm-0003's stop is already under way: the same operation again (stop is idempotent), not a second
  await expect(progress).toContainText("Stop: 9 operation(s)");
  await expect(progress.getByRole("progressbar", { name: "combined progress" })).toBeVisible();
  await expect(page.getByTestId("bulk-line-vm-0001")).toContainText("instance.stop");
  await expect(progress.locator(".error-text")).toHaveCount(1);
  await expect(page.getByTestId("bulk-line-vm-0009")).toContainText("instance vm-0009 is already stopped");
  await expect(page.getByTestId("bulk-line-vm-0003")).toContainText("instance.stop");
  await screenshot(page, "instances-bulk-progress");

  // the operation's link names the instance; the Operations page finds it by the instance's name
  await page.getByTestId("bulk-line-vm-0001").getByRole("link").click();
  await expect(page).toHaveURL(/\/operations\?target=/);
  await expect(page.getByText("Showing the operations of vm-0001")).toBeVisible();
  await page.goto("/operations");
  await hydrated(page);
  await page.getByLabel("Search").fill("vm-0002");
  await expect(page.getByTestId("page-count")).toHaveText("Showing 1 of 1 operations");
  await expect(page.getByRole("table", { name: "Operations" })).toContainText("instance vm-0002");

  // hosts: a large cloud's table can be searched
  await page.goto("/clouds");
  await hydrated(page);
  const searches = page.getByLabel("Search hosts");
  await expect(searches).toHaveCount(4);
  for (const box of await searches.all()) await box.fill("scale-a-h004");
  await expect(page.getByTestId("host-scale-a-h004")).toBeVisible();
  await expect(page.getByRole("table", { name: "Hosts" }).locator("tbody tr")).toHaveCount(1);

  // audit: 2,000 events, searched by an instance's name, oldest first on request
  await page.goto("/audit");
  await hydrated(page);
  const audit = page.getByTestId("audit-table");
  await expect(audit.locator("tbody tr")).toHaveCount(100);
  await page.getByLabel("Search").fill("vm-0042");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(audit.locator("tbody tr")).toHaveCount(2);
  await expect(audit.getByTestId("target-link").first()).toHaveText("vm-0042");
  await page.getByRole("button", { name: /^Time/ }).click();
  await expect(page.getByRole("columnheader", { name: /Time/ })).toHaveAttribute("aria-sort", "ascending");
});
