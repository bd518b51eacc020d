import { describe, expect, it } from "vitest";
import { nextPageParam, pagedInput } from "./paged-input.ts";

describe("a paged table's input", () => {
  const keys = { name: "name", when: "created" } as const;

  it("sends the sort as the API names it, the search, and only the filters that are not 'any'", () => {
    expect(
      pagedInput({
        limit: 100,
        sort: { column: "when", direction: "desc" },
        sortKeys: keys,
        search: "web",
        filters: { status: "running", runtime: "", vpcId: undefined },
      }),
    ).toEqual({ limit: 100, sort: "created", order: "desc", search: "web", status: "running" });
  });

  it("sends neither sort nor search while the table is unsorted and the box empty", () => {
    expect(pagedInput({ limit: 50, sort: null, sortKeys: keys, search: "", filters: { status: "" } })).toEqual({
      limit: 50,
    });
    // a column the API cannot sort by leaves the server's order
    expect(
      pagedInput({ limit: 50, sort: { column: "labels", direction: "asc" }, sortKeys: keys, search: "", filters: {} }),
    ).toEqual({ limit: 50 });
  });

  it("asks for the next page with the last page's cursor, and for none after the last", () => {
    expect(nextPageParam({ nextCursor: "abc" })).toBe("abc");
    expect(nextPageParam({ nextCursor: null })).toBeUndefined();
  });
});
