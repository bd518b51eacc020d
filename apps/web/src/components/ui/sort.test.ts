import { describe, expect, it } from "vitest";
import { compareValues, nextSort, sortRows } from "./sort.ts";

describe("table sorting", () => {
  it("sorts names naturally and numbers as numbers", () => {
    const rows = ["web-10", "web-2", "db-1", "Web-3"];
    expect(sortRows(rows, (r) => r, "asc")).toEqual(["db-1", "web-2", "Web-3", "web-10"]);
    expect(sortRows([10, 9, 100], (r) => r, "asc")).toEqual([9, 10, 100]);
    expect(sortRows([10, 9, 100], (r) => r, "desc")).toEqual([100, 10, 9]);
  });

  it("keeps rows without a value last in both directions", () => {
    const rows = [{ n: "b" }, { n: null }, { n: "a" }, { n: "" }];
    expect(sortRows(rows, (r) => r.n, "asc").map((r) => r.n)).toEqual(["a", "b", null, ""]);
    expect(sortRows(rows, (r) => r.n, "desc").map((r) => r.n)).toEqual(["b", "a", null, ""]);
  });

  it("is stable and leaves the input alone", () => {
    const rows = [
      { k: 1, id: "x" },
      { k: 0, id: "y" },
      { k: 1, id: "z" },
    ];
    const sorted = sortRows(rows, (r) => r.k, "asc");
    expect(sorted.map((r) => r.id)).toEqual(["y", "x", "z"]);
    expect(sortRows(rows, (r) => r.k, "desc").map((r) => r.id)).toEqual(["x", "z", "y"]);
    expect(rows.map((r) => r.id)).toEqual(["x", "y", "z"]);
  });

  it("compares booleans and mixed missing values", () => {
    expect(compareValues(true, false)).toBeGreaterThan(0);
    expect(compareValues(null, "a")).toBeGreaterThan(0);
    expect(compareValues(undefined, null)).toBe(0);
  });

  it("cycles a header through ascending, descending and unsorted", () => {
    const first = nextSort(null, "name");
    expect(first).toEqual({ column: "name", direction: "asc" });
    const second = nextSort(first, "name");
    expect(second).toEqual({ column: "name", direction: "desc" });
    expect(nextSort(second, "name")).toBeNull();
    expect(nextSort(second, "status")).toEqual({ column: "status", direction: "asc" });
  });
});
