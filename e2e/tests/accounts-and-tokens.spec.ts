import { expect, test } from "@playwright/test";
import { email, expectInConsole, hydrated, PASSWORD, rowAction, screenshot, signIn, signUp } from "./helpers.ts";

test.describe.configure({ mode: "serial" });

const owner = { name: "Olivia", email: email("olivia") };

test("sign-up refuses weak passwords and lands a new user in their own organization", async ({ page }) => {
  await page.goto("/sign-up");
  await hydrated(page);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill("password123");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator(".alert[role=alert]")).toContainText(/weak password/i);

  await signUp(page, owner);
  await expectInConsole(page);
  await expect(page.getByTestId("org-name")).toHaveText("Olivia's organization");
  await expect(page.getByTestId("current-org")).toContainText("owner");
  await screenshot(page, "overview");

  // A second sign-up with the same email creates nothing and signs nobody in, without saying the
  // address has an account (a new account's answer, minus the session: the console asks to sign in).
  await page.getByRole("button", { name: "Sign out" }).click();
  await signUp(page, { name: "Impostor", email: owner.email });
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByText(/already exists/i)).toHaveCount(0);
  await screenshot(page, "sign-up-existing");
});

test("wrong password and unknown email get the same answer", async ({ page }) => {
  await signIn(page, owner.email, "not-the-password-1");
  const wrong = await page.locator(".alert[role=alert]").textContent();
  await signIn(page, email("nobody"), "not-the-password-1");
  const unknown = await page.locator(".alert[role=alert]").textContent();
  expect(wrong).toBe(unknown);
  await screenshot(page, "sign-in-error");
});

test("a token made in the console works against /api/v1 until it is revoked", async ({ page, request }) => {
  await signIn(page, owner.email, PASSWORD);
  await expectInConsole(page);
  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByText("No API tokens yet")).toBeVisible();
  await page.getByRole("button", { name: "New token" }).click();
  await page.getByLabel("Name").fill("e2e-script");
  await page.getByLabel("tokens:read").check();
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = (await page.getByTestId("token-secret").textContent())!.trim();
  expect(secret).toMatch(/^nvi_[0-9A-Za-z]{36}$/);
  await screenshot(page, "token-created");

  const me = await request.get("/api/v1/me", { headers: { authorization: `Bearer ${secret}` } });
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({
    actor: "token",
    email: owner.email,
    scopes: expect.arrayContaining(["tokens:read", "vpcs:read"]),
  });
  // The scope it lacks is refused with 403, a malformed token with 401.
  expect((await request.get("/api/v1/members", { headers: { authorization: `Bearer ${secret}` } })).status()).toBe(403);
  expect((await request.get("/api/v1/me", { headers: { authorization: `Bearer ${secret}x` } })).status()).toBe(401);

  await page.getByRole("button", { name: "Done" }).click();
  const row = page.getByTestId("token-row-e2e-script");
  await expect(row).toContainText(secret.slice(0, 10));
  await expect(row).not.toContainText(secret);
  page.once("dialog", (d) => void d.accept());
  await rowAction(row, "Revoke");
  await expect(row).toContainText("revoked");
  await screenshot(page, "tokens");

  const after = await request.get("/api/v1/me", { headers: { authorization: `Bearer ${secret}` } });
  expect(after.status()).toBe(401);

  await page.getByRole("link", { name: "Audit log" }).click();
  const table = page.getByTestId("audit-table");
  await expect(table).toContainText("token.revoked");
  await expect(table).toContainText("token.created");
  await expect(table).toContainText("user.signed_in");
  await page.getByLabel("Action starts with").fill("token.");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(table).not.toContainText("user.signed_in");
  await screenshot(page, "audit");
});

test("an invited person joins with the role they were invited as", async ({ page, browser }) => {
  await signIn(page, owner.email, PASSWORD);
  await expectInConsole(page);
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("form", { name: "Invite" }).getByLabel("Role").selectOption("viewer");
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const link = (await page.getByTestId("invite-link").textContent())!.trim();
  expect(link).toContain("/invite/nvinv_");
  await screenshot(page, "settings");

  const guest = await browser.newContext();
  const guestPage = await guest.newPage();
  const vera = { name: "Vera", email: email("vera") };
  await guestPage.goto(link);
  await expect(guestPage.getByRole("heading", { name: "Join Olivia's organization" })).toBeVisible();
  await expect(guestPage.getByText("viewer")).toBeVisible();
  await screenshot(guestPage, "invitation");
  await guestPage.getByRole("link", { name: "Create an account" }).click();
  await guestPage.getByLabel("Name").fill(vera.name);
  await guestPage.getByLabel("Email").fill(vera.email);
  await guestPage.getByLabel("Password").fill(PASSWORD);
  await guestPage.getByRole("button", { name: "Create account" }).click();
  await guestPage.getByRole("button", { name: "Join Olivia's organization" }).click();
  await expectInConsole(guestPage);
  await expect(guestPage.getByTestId("org-name")).toHaveText("Olivia's organization");
  await expect(guestPage.getByTestId("current-org")).toContainText("viewer");

  // Vera now belongs to two organizations and can switch between them.
  const switcher = guestPage.getByLabel("Organization");
  await expect(switcher).toHaveValue(/^org_/);
  await switcher.selectOption({ label: "Vera's organization (owner)" });
  await expect(guestPage.getByTestId("org-name")).toHaveText("Vera's organization");
  await guestPage.getByLabel("Organization").selectOption({ label: "Olivia's organization (viewer)" });
  await expect(guestPage.getByTestId("org-name")).toHaveText("Olivia's organization");

  // A viewer can look but not invite or make tokens.
  await guestPage.getByRole("link", { name: "Settings" }).click();
  await expect(guestPage.getByText("Only owners and admins invite people.")).toBeVisible();
  await guestPage.getByRole("link", { name: "API tokens" }).click();
  await guestPage.getByRole("button", { name: "New token" }).click();
  await guestPage.getByLabel("Name").fill("viewer-token");
  await guestPage.getByRole("button", { name: "Create token" }).click();
  await expect(guestPage.locator(".alert[role=alert]")).toContainText("tokens:write");
  await guest.close();

  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId(`member-${vera.email}`)).toContainText("Vera");
  await expect(page.getByLabel(`Role of ${vera.email}`)).toHaveValue("viewer");
  const used = await page.request.get(link.replace(/^.*\/invite\//, "/api/v1/invitations/preview?secret="));
  expect(await used.json()).toMatchObject({ status: "accepted" });
});

test("the console shell: every section has an empty state, light and dark themes, API reference", async ({ page }) => {
  await signIn(page, owner.email, PASSWORD);
  await expectInConsole(page);
  for (const [link, text] of [
    ["Clouds", "No clouds registered yet"],
    ["VPCs", "No VPCs yet"],
    ["Instances", "No instances yet"],
    ["Policies", "No VPC to write policy for"],
    ["Operations", "No operations yet"],
  ] as const) {
    await page.getByRole("link", { name: link, exact: true }).click();
    await expect(page.getByText(text)).toBeVisible();
  }
  await screenshot(page, "operations-empty");
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.getByRole("button", { name: "Toggle light/dark theme" }).click();
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).not.toBe(theme);
  await page.reload();
  await hydrated(page);
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).not.toBe(theme);
  await screenshot(page, "theme-switched");
  await page.getByRole("link", { name: "API reference" }).click();
  await expect(page.getByText("/api/v1/tokens/{tokenId}")).toBeVisible();
  await screenshot(page, "api-reference");
  const doc = await page.request.get("/api/v1/openapi.json");
  expect((await doc.json()).openapi).toMatch(/^3\./);
  await page.setViewportSize({ width: 800, height: 900 });
  await screenshot(page, "narrow");
});
