import { expect, test, type Locator } from "@playwright/test";
import { email, expectInConsole, hydrated, signUp } from "./helpers.ts";

/**
 * Issue 17, bugs 5 and 6 as a person at 800 px sees them: the top bar stayed about 300 px tall on
 * short pages, a table's row actions were clipped off its right edge, and the audit log showed
 * ids and offered 5 of its target types.
 */
test.use({ viewport: { width: 800, height: 700 } });

const box = async (l: Locator) => {
  const b = await l.boundingBox();
  if (!b) throw new Error("not rendered");
  return b;
};

test("at 800 px the bars stay short, row actions stay in view, the audit log names and links its targets", async ({
  page,
}) => {
  await signUp(page, { name: "Narrow", email: email("narrow") });
  await expectInConsole(page);

  // the Overview tells the state of the network, each tile linked to its page
  await page.goto("/");
  await hydrated(page);
  const state = page.getByTestId("network-state");
  await expect(state.getByRole("link")).toHaveCount(4);
  await expect(page.getByTestId("state-hosts")).toContainText("no host enrolled yet");
  await expect(page.getByTestId("state-hosts")).toHaveAttribute("href", "/clouds");
  await expect(page.getByTestId("state-operations")).toHaveAttribute("href", "/operations");

  // every page has its own title; the first Tab reaches "Skip to content", which lands on the page
  for (const [path, title] of [
    ["/", "Overview"],
    ["/instances", "Instances"],
    ["/audit", "Audit log"],
    ["/operations", "Operations"],
  ] as const) {
    await page.goto(path);
    await hydrated(page);
    await expect(page).toHaveTitle(`${title} · NVI console`);
  }
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press("Enter");
  await expect(page.locator("main#content")).toBeFocused();

  // a short page: neither the navigation bar nor the top bar takes the free height
  await page.goto("/tokens");
  await hydrated(page);
  await expect(page.getByText("No API tokens yet")).toBeVisible();
  expect((await box(page.getByRole("navigation", { name: "Main" }))).height).toBeLessThan(160);
  expect((await box(page.locator("header.topbar"))).height).toBeLessThan(80);

  // a row's actions stay inside the table and the window, whatever the table's width
  await page.getByRole("button", { name: "New token" }).click();
  await page.getByLabel("Name").fill("a-rather-long-token-name-for-a-narrow-window");
  await page.getByLabel("tokens:read").check();
  await page.getByRole("button", { name: "Create token" }).click();
  await page.getByRole("button", { name: "Done" }).click();
  const row = page.getByTestId("token-row-a-rather-long-token-name-for-a-narrow-window");
  const actions = row.getByRole("button", { name: /^Actions for / });
  await expect(actions).toBeVisible();
  const a = await box(actions);
  const wrap = await box(page.locator(".table-wrap").filter({ has: row }));
  expect(a.x).toBeGreaterThanOrEqual(wrap.x);
  expect(a.x + a.width).toBeLessThanOrEqual(wrap.x + wrap.width);
  expect(a.x + a.width).toBeLessThanOrEqual(800);
  await actions.click();
  await expect(page.getByRole("menuitem", { name: "Revoke" })).toBeInViewport();
  await page.keyboard.press("Escape");
  await expect(actions).toBeFocused();
  // the menu is mounted on first use (row-actions.tsx): from the keyboard, focus stays on the button
  // across that, Enter opens the menu on its first item, Escape gives the focus back
  await page.reload();
  await hydrated(page);
  await actions.focus();
  await expect(actions).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menuitem", { name: "Revoke" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(actions).toBeFocused();
  // a screen reader's press: focus and click in one task, React's swap between them (a microtask)
  await page.mouse.move(0, 0); // no hover mounts the menu first
  await page.reload();
  await hydrated(page);
  const swapped = await actions.evaluate(async (b: HTMLElement) => {
    b.focus();
    for (let i = 0; i < 50 && b.isConnected; i++) await Promise.resolve();
    b.click();
    return !b.isConnected;
  });
  expect(swapped).toBe(true); // else this press tested nothing
  await expect(page.getByRole("menuitem", { name: "Revoke" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(actions).toBeFocused();

  // the audit log: every target type in the filter; the token by its name, linked to its page
  await page.goto("/audit");
  await hydrated(page);
  const target = page.getByLabel("Target");
  for (const type of ["token", "instance", "vpc", "subnet", "host", "cloud", "rule", "operation"])
    await expect(target.locator(`option[value="${type}"]`)).toHaveCount(1);
  expect(await target.locator("option").count()).toBeGreaterThanOrEqual(18);
  const created = page.getByTestId("audit-table").getByRole("row").filter({ hasText: "token.created" });
  const link = created.getByTestId("target-link");
  await expect(link).toHaveText("a-rather-long-token-name-for-a-narrow-window");
  await expect(link).toHaveAttribute("href", /^\/tokens#tok_/);
});
