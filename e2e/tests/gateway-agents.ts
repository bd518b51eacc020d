import { expect, type Page } from "@playwright/test";

/** A tRPC mutation through the signed-in page's session (same origin, as the console's own client). */
export const trpc = (page: Page) => async (path: string, data: unknown) => {
  const res = await page.request.post(`/api/trpc/${path}`, { data, headers: { origin: new URL(page.url()).origin } });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { result: { data: Record<string, string> } }).result.data;
};

/** The facts a minimal gateway agent sends, with its links to other gateways (null: none reported). */
export const facts = (hostname: string, gatewayLinks: unknown = null) => ({
  hostname,
  kernel: "6.1.0",
  cpus: 2,
  memoryMiB: 2048,
  ovsVersion: "3.1.0",
  runtimes: { docker: false, qemu: false, netns: true },
  gatewayLinks,
});
