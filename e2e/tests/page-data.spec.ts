import { expect, test, type Locator } from "@playwright/test";
import { email, expectInConsole, hydrated, signUp } from "./helpers.ts";
import { seedLargeOrganization } from "./seed.ts";

/**
 * Issue 17, page loads: Overview, Topology, Instances and Audit bring their first data with the HTML
 * (apps/web/src/server/prefetch.tsx) instead of asking for it once their scripts have run. The data
 * is in the server's answer, the browser does not ask for it again, and the live stream (which
 * used to say "change" at once, making the page fetch everything twice) starts from the page's mark.
 */
// the browser in another zone than the console (TZ=UTC): a time written in local time on both sides
// would differ, and React would throw the server's HTML away ("hydration failed")
test.use({ timezoneId: "Pacific/Auckland" });

test("Overview, Topology, Instances and Audit come with their data: in the HTML, not asked for again", async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(90_000);
  const me = email("pagedata");
  await signUp(page, { name: "Page data", email: me });
  await expectInConsole(page);
  await seedLargeOrganization(me, { hosts: 10, instances: 150, audit: 150 });

  // the server's answer already holds the first page of rows, and the canvas's hosts
  const html = async (path: string) => (await page.request.get(path)).text();
  expect((await html("/instances")).match(/data-testid="instance-vm-\d{4}"/g)?.length).toBe(100);
  expect((await html("/audit")).match(/<tr[ >]/g)?.length).toBe(101); // the header and 100 events
  expect(await html("/topology")).toMatch(/scale-gw-1-h\d{3}/);
  // the Overview's tiles (drawn only once its hosts and instances are known) and the organization's name
  expect(await html("/")).toMatch(/data-testid="state-hosts"[^]*data-testid="state-instances"/);
  expect(await html("/")).toMatch(/data-testid="org-name"[^>]*>Page/);
  // …which count the instances: the Overview's HTML holds counts, not every instance's row
  expect(await html("/")).toMatch(/data-testid="state-instances"[^]*>135 running</);
  expect(await html("/")).not.toMatch(/vm-\d{4}/);

  const asked: string[] = [];
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    if (r.url().includes("/api/trpc/")) asked.push(decodeURIComponent(new URL(r.url()).pathname));
  });
  const pages: { path: string; shown: Locator; procedure: string; live: boolean }[] = [
    { path: "/", shown: page.getByTestId("state-instances"), procedure: "instance.counts", live: true },
    { path: "/instances", shown: page.getByTestId("instance-vm-0000"), procedure: "instance.page", live: true },
    {
      path: "/audit",
      shown: page.getByTestId("audit-table").locator("tbody tr").nth(99),
      procedure: "audit.list",
      live: false,
    },
    {
      path: "/topology",
      shown: page.locator('[data-testid^="topo-host-"]').first(),
      procedure: "vpc.list", // (topology.get refreshes every 5 s by design)
      live: true,
    },
  ];
  for (const p of pages) {
    const stream = p.live ? page.waitForRequest(/\/api\/live/) : null;
    await page.goto(p.path);
    await hydrated(page);
    await expect(p.shown).toBeVisible();
    // the stream opens with the mark the page's data was read at
    if (stream) expect(new URL((await stream).url()).searchParams.get("since")).toMatch(/^[\w-]{16}$/);
    // the stream checks once a second: two of its ticks pass without the page asking again
    await page.waitForTimeout(2_500);
    expect(asked.filter((a) => a.includes(p.procedure))).toEqual([]);
  }
  // the rows the server wrote were kept: nothing differed between its HTML and the browser's first render
  expect(errors.filter((e) => /hydrat|errors\/4(1[89]|2[0-9])/i.test(e))).toEqual([]);

  // the Overview's count follows a change made elsewhere (another tab stops an instance), live
  await page.goto("/");
  await hydrated(page);
  const tile = page.getByTestId("state-instances");
  await expect(tile).toContainText("135 running");
  const elsewhere = await page.context().newPage();
  await elsewhere.goto("/instances");
  await hydrated(elsewhere);
  await elsewhere.getByRole("button", { name: "Actions for instance vm-0000" }).click();
  await elsewhere.getByTestId("instance-stop-vm-0000").click();
  await expect(tile).toContainText("134 running", { timeout: 10_000 });
  await elsewhere.close();

  // another person naming this organization in the org cookie gets only their own pages: the server's
  // reads choose the organization as the API does, among the caller's memberships
  const org = (await (await page.request.get("/api/trpc/org.get")).json()) as { result: { data: { id: string } } };
  const orgId = org.result.data.id;
  const stranger = await browser.newContext({ baseURL, timezoneId: "Pacific/Auckland" });
  const other = await stranger.newPage();
  await signUp(other, { name: "Stranger", email: email("pagedata-stranger") });
  await expectInConsole(other);
  await stranger.addCookies([{ name: "nvi_org", value: orgId, url: baseURL! }]);
  for (const path of ["/", "/instances", "/audit", "/topology"]) {
    const html = await (await other.request.get(path)).text();
    // (the match, not the whole page, in a failure)
    expect(/instance-vm-\d{4}|scale-gw-1-h\d{3}/.exec(html)?.[0]).toBeUndefined();
    expect(html.includes(orgId)).toBe(false);
  }
  await stranger.close();
});
