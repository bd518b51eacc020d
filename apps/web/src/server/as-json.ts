/** An answer as the API's JSON would carry it; an infinite query's page params are kept as they are. */
export function asJson(data: unknown): unknown {
  if (data === undefined) return data;
  if (data && typeof data === "object" && "pages" in data && "pageParams" in data) {
    const infinite = data as { pages: unknown[]; pageParams: unknown[] };
    return { pages: JSON.parse(JSON.stringify(infinite.pages)) as unknown[], pageParams: infinite.pageParams };
  }
  return JSON.parse(JSON.stringify(data)) as unknown;
}
