import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { email, expectInConsole, hydrated, signUp } from "./helpers.ts";
import { seedLargeOrganization } from "./seed.ts";

/**
 * Issue 17, accessibility: axe-core's WCAG 2.0/2.1 A and AA rules on every page of the console and
 * on the pages before sign-in, in the light and the dark theme. Any violation fails, whatever its
 * impact; each one is listed with its rule, its help text and the elements it names. The console's
 * pages are scanned on a seeded organization (hosts, instances, a VPC with groups, audit entries,
 * finished operations), so tables, badges and the canvas are on the page, not only empty states.
 */
const CONSOLE_PAGES = [
  "/",
  "/topology",
  "/clouds",
  "/vpcs",
  "/instances",
  "/policies",
  "/operations",
  "/audit",
  "/ssh-keys",
  "/tokens",
  "/settings",
  "/api-docs",
];
const THEMES = ["light", "dark"] as const;

async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
}

/** The theme the console starts in (what the toggle saves); the page's script reads it before paint. */
async function useTheme(page: Page, theme: (typeof THEMES)[number]) {
  await page.evaluate((t) => localStorage.setItem("nvi-theme", t), theme);
}

/** A page is scanned once its data is in (no "Loading…" left) and its theme is the one asked for. */
async function settled(page: Page, theme: string) {
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
  await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
}

for (const theme of THEMES) {
  test(`the pages before sign-in have no accessibility violation (${theme})`, async ({ page }) => {
    await page.goto("/sign-in");
    await hydrated(page);
    await useTheme(page, theme);
    const found: Record<string, string[]> = {};
    for (const path of ["/sign-in", "/sign-up", "/invite/not-a-real-invitation"]) {
      await page.goto(path);
      await hydrated(page);
      await settled(page, theme);
      const v = await violations(page);
      if (v.length) found[path] = v;
    }
    expect(found).toEqual({});
  });

  test(`every console page has no accessibility violation (${theme})`, async ({ page }) => {
    test.setTimeout(180_000);
    const me = email(`axe-${theme}`);
    await signUp(page, { name: "Axel", email: me });
    await expectInConsole(page);
    await seedLargeOrganization(me, { hosts: 8, instances: 24, audit: 30, operations: 6 });
    await useTheme(page, theme);
    // every page is scanned before the test judges: one run lists all that is left to fix
    const found: Record<string, string[]> = {};
    const scan = async (what: string) => {
      const v = await violations(page);
      if (v.length) found[what] = v;
    };
    for (const path of CONSOLE_PAGES) {
      await page.goto(path);
      await hydrated(page);
      await expectInConsole(page);
      await settled(page, theme);
      await scan(path);
    }
    // the forms behind the pages' main buttons, open
    await page.goto("/clouds");
    await hydrated(page);
    await page.getByRole("button", { name: "Register cloud" }).click();
    await expect(page.getByRole("form", { name: "Register cloud" })).toBeVisible();
    await scan("/clouds, Register cloud");
    await page.goto("/instances");
    await hydrated(page);
    await page.getByRole("button", { name: "Launch instance" }).click();
    await expect(page.getByRole("form", { name: "Launch instance" })).toBeVisible();
    await scan("/instances, Launch instance");
    expect(found).toEqual({});
  });
}
