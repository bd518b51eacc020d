import { expect, test, type Locator, type Page } from "@playwright/test";
import { email, hydrated, PASSWORD, screenshot } from "./helpers.ts";

/**
 * Issue 17, a keyboard-only journey: sign up, register a cloud, create a VPC with a subnet in it and
 * reach the policy matrix with Tab / Shift+Tab / Enter / Space / Escape / arrow keys alone (no
 * click, no `fill`, no `focus()`). Every stop shows where the focus is: an outline or a shadow on the
 * focused element, on screen. A form a button opens takes the focus, Escape closes it, and closing
 * gives the focus back to its button; a policy preview takes the focus and Escape gives it back to
 * the matrix cell.
 */

/** The focused element, described, or null when it shows a focus ring (outline or shadow) on screen. */
async function focusProblem(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return "nothing has the focus";
    const s = getComputedStyle(el);
    const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
    const r = el.getBoundingClientRect();
    const shown = r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < window.innerHeight;
    const what = `<${el.tagName.toLowerCase()}> "${(el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 40)}"`;
    if (!ring) return `${what} shows no focus ring`;
    if (!shown) return `${what} is off screen`;
    return null;
  });
}

/** Presses `key` until `target` has the focus, checking at each stop that the focus is visible. */
async function reach(page: Page, target: Locator, key: "Tab" | "Shift+Tab" = "Tab", max = 40) {
  await expect(target).toBeVisible();
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) break;
    await page.keyboard.press(key);
    expect(await focusProblem(page), `after ${key} × ${i + 1}`).toBeNull();
  }
  await expect(target).toBeFocused();
}

/**
 * Goes back up to a navigation link (Shift+Tab), follows it (Enter), then on to the page's button
 * that opens a form (Tab) and opens it (Enter): the opened form's first field has the focus.
 */
async function openForm(page: Page, link: string, button: string, max = 40): Promise<Locator> {
  await reach(page, page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link }), "Shift+Tab", max);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: link })).toBeVisible();
  await reach(page, page.getByRole("button", { name: button }));
  await page.keyboard.press("Enter");
  const form = page.getByRole("form", { name: button });
  await expect(form.getByLabel("Name", { exact: true })).toBeFocused();
  return form;
}

/** Types into the focused field, after checking it is the one meant. */
async function typeInto(page: Page, field: Locator, text: string) {
  await expect(field).toBeFocused();
  await page.keyboard.type(text);
}

/** Chooses an option of the focused <select> with the arrow keys. */
async function chooseWithArrows(page: Page, select: Locator, value: string) {
  await expect(select).toBeFocused();
  for (let i = 0; i < 10 && (await select.inputValue()) !== value; i++) await page.keyboard.press("ArrowDown");
  await expect(select).toHaveValue(value);
}

test("sign up, register a cloud, create a VPC and reach the policy matrix with the keyboard alone", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const nav = page.getByRole("navigation", { name: "Main" });

  // sign up
  await page.goto("/sign-up");
  await hydrated(page);
  await reach(page, page.getByLabel("Name"));
  await typeInto(page, page.getByLabel("Name"), "Kay Board");
  await page.keyboard.press("Tab");
  await typeInto(page, page.getByLabel("Email"), email("keyboard"));
  await page.keyboard.press("Tab");
  await typeInto(page, page.getByLabel("Password"), PASSWORD);
  await reach(page, page.getByRole("button", { name: "Create account" }));
  await page.keyboard.press("Enter");
  await expect(nav).toBeVisible();

  // the first stop is the skip link, shown when focused; it leads past the navigation
  const skip = page.getByRole("link", { name: "Skip to content" });
  await reach(page, skip);
  await expect(skip).toBeInViewport();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => !!document.activeElement?.closest("main"))).toBe(true);

  // register a cloud: the form takes the focus, Escape closes it and gives the focus back
  const form = await openForm(page, "Clouds", "Register cloud");
  const register = page.getByRole("button", { name: "Register cloud" });
  await page.keyboard.press("Escape");
  await expect(form).toHaveCount(0);
  await expect(register).toBeFocused();
  await page.keyboard.press("Space");
  await typeInto(page, form.getByLabel("Name", { exact: true }), "kb-dc1");
  await page.keyboard.press("Tab");
  await chooseWithArrows(page, form.getByLabel("Kind"), "baremetal");
  await page.keyboard.press("Tab");
  await typeInto(page, form.getByLabel("Region", { exact: true }), "eu");
  await page.keyboard.press("Tab");
  await typeInto(page, form.getByLabel("Datacenter", { exact: true }), "dc1");
  await reach(page, form.getByRole("button", { name: "Register" }));
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("cloud-kb-dc1")).toBeVisible();
  await expect(form).toHaveCount(0);
  await expect(register).toBeFocused();
  expect(await focusProblem(page)).toBeNull();

  // create a VPC (Enter in a field submits the form), then a subnet in the cloud
  const vpcForm = await openForm(page, "VPCs", "Create VPC");
  const create = page.getByRole("button", { name: "Create VPC" });
  await typeInto(page, vpcForm.getByLabel("Name", { exact: true }), "kb");
  await page.keyboard.press("Tab");
  await typeInto(page, vpcForm.getByLabel("CIDR", { exact: true }), "10.61.0.0/16");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("vpc-kb")).toBeVisible();
  await expect(create).toBeFocused();
  const subnet = page.getByRole("form", { name: "Add subnet to kb" });
  await reach(page, subnet.getByLabel("Subnet name"));
  await page.keyboard.type("kb-a");
  await page.keyboard.press("Tab");
  await typeInto(page, subnet.getByLabel("CIDR"), "10.61.1.0/24");
  await reach(page, subnet.getByRole("button", { name: "Add subnet" }));
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("vpc-kb")).toContainText("10.61.1.0/24");

  // the policy matrix: a cell is reached and previewed; Escape cancels and gives the focus back
  await reach(page, nav.getByRole("link", { name: "Policies" }), "Shift+Tab", 80);
  await page.keyboard.press("Enter");
  const cell = page.getByRole("button", { name: "default to default: plugged" });
  await reach(page, cell);
  await screenshot(page, "keyboard-matrix-focus");
  await page.keyboard.press("Enter");
  const preview = page.getByRole("region", { name: "Unplug default → default" });
  await expect(preview).toBeFocused();
  await expect(preview).toContainText("Preview — nothing is changed until you apply");
  expect(await focusProblem(page)).toBeNull();
  await page.keyboard.press("Escape");
  await expect(preview).toHaveCount(0);
  await expect(cell).toBeFocused();
  expect(await focusProblem(page)).toBeNull();
});
