import { describe, expect, it } from "vitest";
import { uuidv7, ValidationError, validateId, validateQueueName } from "../src/index.js";

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function rejects(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    return;
  }
  throw new Error("expected a ValidationError");
}

describe("uuidv7", () => {
  it("has the RFC 9562 version 7 format", () => {
    for (let i = 0; i < 100; i++) expect(uuidv7()).toMatch(UUIDV7);
  });

  it("is strictly increasing within one process, even in one millisecond", () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    const fixed = Array.from({ length: 50 }, () => uuidv7(1_700_000_000_000));
    expect([...fixed].sort()).toEqual(fixed);
    expect(new Set(fixed).size).toBe(50);
  });

  it("encodes the timestamp in the first 48 bits", () => {
    const ms = Date.now() + 10_000_000;
    const id = uuidv7(ms);
    expect(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(ms);
  });
});

describe("validateId", () => {
  it("accepts safe names up to 128 characters", () => {
    for (const id of ["a", "task-1", "A_b.c-d", "0", "x".repeat(128), uuidv7()]) {
      expect(validateId(id)).toBe(id);
    }
  });

  it("rejects traversal, separators, NUL, empty and over-long ids, naming the field", () => {
    for (const bad of [
      "..",
      "a..b",
      "../x",
      "a/b",
      "a\\b",
      "a\0b",
      "",
      "x".repeat(129),
      ".hidden",
      "-x",
      "a b",
    ]) {
      rejects(() => validateId(bad), "id");
    }
    rejects(() => validateId(42, "taskId"), "taskId");
    rejects(() => validateId(undefined, "dependsOn[0]"), "dependsOn[0]");
  });

  it("validateQueueName allows 64 characters", () => {
    expect(validateQueueName("q".repeat(64))).toBe("q".repeat(64));
    rejects(() => validateQueueName("q".repeat(65)), "queue");
    rejects(() => validateQueueName("../x"), "queue");
  });
});
