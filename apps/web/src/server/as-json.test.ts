import { describe, expect, it } from "vitest";
import { asJson } from "./as-json.ts";

describe("a prefetched answer as the browser would have fetched it", () => {
  it("turns dates into strings and drops absent fields, as the API's JSON does", () => {
    const at = new Date("2026-12-06T18:00:00.000Z");
    expect(asJson({ at, name: "web-1", gone: undefined, tags: [at] })).toEqual({
      at: "2026-12-06T18:00:00.000Z",
      name: "web-1",
      tags: ["2026-12-06T18:00:00.000Z"],
    });
    expect(Object.keys(asJson({ gone: undefined }) as object)).toEqual([]);
  });

  it("keeps an infinite query's page params as they are (the first cursor stays undefined, not null)", () => {
    const data = asJson({ pages: [{ items: [{ at: new Date(0) }], nextCursor: null }], pageParams: [undefined] });
    expect(data).toEqual({
      pages: [{ items: [{ at: "1970-01-01T00:00:00.000Z" }], nextCursor: null }],
      pageParams: [undefined],
    });
    expect((data as { pageParams: unknown[] }).pageParams[0]).toBeUndefined();
  });
});
