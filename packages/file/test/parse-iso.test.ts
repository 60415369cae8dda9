/**
 * `parseIso`, the fast path for the times in task files, against `Date.parse` itself: random
 * instants over years 0000-9999 as `toISOString()` writes them, month and leap-year edges, and
 * strings that are not in that exact form (which must give what `Date.parse` gives).
 */
import { describe, expect, it } from "vitest";
import { parseIso } from "../src/internal/task-record.js";

describe("parseIso", () => {
  it("equals Date.parse for toISOString() output over years 0000-9999", () => {
    const lo = Date.parse("0000-01-01T00:00:00.000Z");
    const hi = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    for (let i = 0; i < 20_000; i++) {
      const t = Math.floor(lo + next() * (hi - lo));
      const s = new Date(t).toISOString();
      if (s.length !== 24) continue; // years outside 0000-9999 are written with a sign
      expect(parseIso(s)).toBe(t);
    }
  });

  it("handles month ends, leap days and the epoch", () => {
    const cases = [
      "1970-01-01T00:00:00.000Z",
      "1969-12-31T23:59:59.999Z",
      "2000-02-29T12:00:00.000Z",
      "1900-02-28T23:59:59.999Z",
      "1900-03-01T00:00:00.000Z",
      "2024-12-31T23:59:59.999Z",
      "0000-01-01T00:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
      "2026-11-22T17:39:25.123Z",
    ];
    for (const s of cases) expect(parseIso(s)).toBe(Date.parse(s));
  });

  it("gives what Date.parse gives for any other form", () => {
    const cases = [
      "2026-11-22T17:39:25Z",
      "2026-11-22T17:39:25.123+01:00",
      "+010000-01-01T00:00:00.000Z",
      "-000001-01-01T00:00:00.000Z",
      "2026-13-01T00:00:00.000Z",
      "2026-00-10T00:00:00.000Z",
      "2026-11-22T24:00:00.000Z",
      "2026-11-22T17:60:00.000Z",
      "2026-1a-22T17:39:25.123Z",
      "2026-11-22 17:39:25.123Z",
      "2026-11-22T17:39:25.12xZ",
      "not a date at all, 24 ch",
      "",
    ];
    for (const s of cases) {
      const want = Date.parse(s);
      if (Number.isNaN(want)) expect(parseIso(s)).toBeNaN();
      else expect(parseIso(s)).toBe(want);
    }
  });
});
