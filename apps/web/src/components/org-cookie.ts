/** The organization the console works in; the server checks membership on every request. */
export function setOrgCookie(orgId: string): void {
  document.cookie = `nvi_org=${encodeURIComponent(orgId)}; path=/; max-age=${60 * 60 * 24 * 365}; samesite=lax`;
}
