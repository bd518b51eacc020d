import { describe, expect, it } from "vitest";
import { formatAgo, formatDate, formatDateTime, formatDuration, formatTime, formatUtc } from "./time.ts";

// vitest runs with TZ=UTC, so local time is UTC here
const at = "2026-12-05T07:43:46.250Z";

describe("time formatter", () => {
  it("writes dates and times year first, 24-hour", () => {
    expect(formatDate(at)).toBe("2026-12-05");
    expect(formatTime(at)).toBe("07:43:46");
    expect(formatDateTime(at)).toBe("2026-12-05 07:43:46");
    expect(formatDateTime(new Date(Date.UTC(2027, 0, 2, 3, 4, 5)))).toBe("2027-01-02 03:04:05");
  });

  it("writes UTC when asked, whatever the zone", () => {
    expect(formatUtc("2026-12-05T09:43:46+02:00")).toBe("2026-12-05 07:43:46");
    expect(formatUtc(null)).toBe("—");
  });

  it("writes a dash for no time or a bad one", () => {
    for (const none of [null, undefined, "", "not a date"]) {
      expect(formatDateTime(none)).toBe("—");
      expect(formatTime(none)).toBe("—");
    }
  });

  it("measures durations in tenths of a second, never negative", () => {
    expect(formatDuration("2026-12-05T07:00:00.000Z", "2026-12-05T07:00:01.440Z")).toBe("1.4 s");
    expect(formatDuration("2026-12-05T07:00:02Z", "2026-12-05T07:00:01Z")).toBe("0 s");
    expect(formatDuration(null, at)).toBe("—");
  });

  it("says how long ago, then falls back to the date", () => {
    const now = new Date("2026-12-05T08:00:00Z");
    expect(formatAgo("2026-12-05T07:59:55Z", now)).toBe("5 s ago");
    expect(formatAgo("2026-12-05T07:57:00Z", now)).toBe("3 min ago");
    expect(formatAgo("2026-12-05T05:30:00Z", now)).toBe("2 h ago");
    expect(formatAgo("2026-12-01T08:00:00Z", now)).toBe("2026-12-01 08:00:00");
    expect(formatAgo("2026-12-05T08:00:09Z", now)).toBe("0 s ago");
  });
});
