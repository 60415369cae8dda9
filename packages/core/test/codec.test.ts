import { describe, expect, it } from "vitest";
import { decode, encode, encodedSize, ValidationError } from "../src/index.js";

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).field;
  }
  throw new Error("expected a ValidationError");
}

describe("codec", () => {
  it("round-trips JSON values, Date, bigint and Uint8Array, nested", () => {
    const value = {
      s: "x",
      n: -1.5,
      b: false,
      nil: null,
      when: new Date("2024-01-02T03:04:05.678Z"),
      big: -(2n ** 80n),
      bytes: new Uint8Array([0, 127, 255]),
      list: [1, [2, { deep: new Date(0) }]],
    };
    const back = decode<typeof value>(encode(value));
    expect(back).toEqual(value);
    expect(back.when).toBeInstanceOf(Date);
    expect(typeof back.big).toBe("bigint");
    expect(back.bytes).toBeInstanceOf(Uint8Array);
  });

  it("returns Buffers as Uint8Array and drops undefined object properties", () => {
    const back = decode<{ buf: Uint8Array; gone?: number }>(
      encode({ buf: Buffer.from("hi"), gone: undefined }),
    );
    expect(Array.from(back.buf)).toEqual([104, 105]);
    expect("gone" in back).toBe(false);
  });

  it("keeps a user object that looks like a tag", () => {
    const value = { $omniq: "date", v: "not a date" };
    expect(decode(encode(value))).toEqual(value);
    const nested = [{ $omniq: "bigint", v: "1", extra: true }];
    expect(decode(encode(nested))).toEqual(nested);
  });

  it("rejects what cannot be stored, naming the path", () => {
    expect(fieldOf(() => encode([1, { fn: () => 1 }], "args"))).toBe("args[1].fn");
    expect(fieldOf(() => encode([Number.NaN], "args"))).toBe("args[0]");
    expect(fieldOf(() => encode({ a: Number.POSITIVE_INFINITY }, "v"))).toBe("v.a");
    expect(fieldOf(() => encode([undefined], "args"))).toBe("args[0]");
    expect(fieldOf(() => encode({ s: Symbol("x") }, "v"))).toBe("v.s");
    expect(fieldOf(() => encode({ m: new Map() }, "v"))).toBe("v.m");
    expect(fieldOf(() => encode({ d: new Date(Number.NaN) }, "v"))).toBe("v.d");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(fieldOf(() => encode({ c: cyclic }, "v"))).toBe("v.c.self");
  });

  it("allows the same object twice when it is not a cycle", () => {
    const shared = { x: 1 };
    expect(decode(encode([shared, shared]))).toEqual([{ x: 1 }, { x: 1 }]);
  });

  it("measures encoded size in UTF-8 bytes", () => {
    expect(encodedSize("é")).toBe(2);
    expect(encodedSize(encode(["abc"]))).toBe(7);
  });
});
