import path from "node:path";
import { expect, type Locator, type Page } from "@playwright/test";

export const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
export const PASSWORD = "blue-ocean-42-kite";

export function email(label: string): string {
  return `${label}-${run}@example.test`;
}

const resultsDir = process.env.TEST_RESULTS_DIR ?? path.resolve(import.meta.dirname, "../../test-results");

/** Key pages are kept as PNG artifacts for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(resultsDir, "screenshots", `${name}.png`), fullPage: true });
}

export async function signUp(page: Page, who: { name: string; email: string }, next?: string): Promise<void> {
  await page.goto(next ? `/sign-up?next=${encodeURIComponent(next)}` : "/sign-up");
  await page.getByLabel("Name").fill(who.name);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
}

export async function signIn(page: Page, address: string, password = PASSWORD): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(address);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function expectInConsole(page: Page): Promise<void> {
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
}

/** A table row's actions sit in one menu ("⋯", named "Actions for …"): open it and choose one. */
export async function rowAction(row: Locator, action: string): Promise<void> {
  await row.getByRole("button", { name: /^Actions for / }).click();
  await row.page().getByRole("menuitem", { name: action, exact: true }).click();
}

/** Registers a bare-metal cloud on the Clouds page and opens its "Add host": the cloud's card. */
export async function addHostTo(
  page: Page,
  cloud: { name: string; region: string; datacenter: string },
): Promise<Locator> {
  await page.getByRole("button", { name: "Register cloud" }).click();
  const form = page.getByRole("form", { name: "Register cloud" });
  await form.getByLabel("Name", { exact: true }).fill(cloud.name);
  await form.locator("select[name=kind]").selectOption("baremetal");
  await form.getByLabel("Region", { exact: true }).fill(cloud.region);
  await form.getByLabel("Datacenter", { exact: true }).fill(cloud.datacenter);
  await form.getByRole("button", { name: "Register" }).click();
  const card = page.getByTestId(`cloud-${cloud.name}`);
  await card.getByRole("button", { name: "Add host" }).click();
  return card;
}

/**
 * Waits until React has hydrated the page. Console pages bring their first data in the HTML
 * (apps/web/src/server/prefetch.tsx), so rows can be seen before they answer a click: after a
 * `goto` or `reload`, wait for this before acting.
 */
export async function hydrated(page: Page): Promise<void> {
  await page.locator('html[data-hydration="done"]').waitFor({ state: "attached" });
}
