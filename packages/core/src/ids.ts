import { randomFillSync } from "node:crypto";
import { ValidationError } from "./errors.js";

const pool = new Uint8Array(16 * 256);
let poolOffset = pool.length;
let lastMs = 0;
let lastSeq = 0;
let msPrefix = "";

function randomBytes(n: number): Uint8Array {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

const hex: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * A time-ordered UUIDv7 (RFC 9562). Ids made in one process are strictly increasing:
 * within one millisecond a 12-bit counter in `rand_a` keeps their order.
 *
 * @example
 * ```ts
 * const id = uuidv7(); // "019a4f0e-5c1b-7a3c-8d2e-..."
 * ```
 */
export function uuidv7(now: number = Date.now()): string {
  let ms = now;
  if (ms <= lastMs) {
    ms = lastMs;
    lastSeq++;
    if (lastSeq > 0xfff) {
      ms = lastMs + 1;
      lastSeq = 0;
    }
  } else {
    lastSeq = 0;
  }
  if (ms !== lastMs || msPrefix === "") {
    // 48-bit big-endian milliseconds as "xxxxxxxx-xxxx-" (cached: a burst shares it).
    const h = Math.floor(ms).toString(16).padStart(12, "0").slice(-12);
    msPrefix = `${h.slice(0, 8)}-${h.slice(8)}-`;
  }
  lastMs = ms;
  const r = randomBytes(8);
  return (
    msPrefix +
    hex[0x70 | ((lastSeq >>> 8) & 0x0f)]! +
    hex[lastSeq & 0xff]! +
    "-" +
    hex[0x80 | (r[0]! & 0x3f)]! +
    hex[r[1]!]! +
    "-" +
    hex[r[2]!]! +
    hex[r[3]!]! +
    hex[r[4]!]! +
    hex[r[5]!]! +
    hex[r[6]!]! +
    hex[r[7]!]!
  );
}

/** Characters allowed in ids and queue names: they become file names and object keys. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Checks a caller-supplied id (task, schedule): 1-128 characters of `A-Z a-z 0-9 _ . -`,
 * not starting with `.` or `-`, no `..`. Ids become file names and object keys, so
 * nothing here can escape a base directory.
 */
export function validateId(value: unknown, field = "id"): string {
  return validateSafeName(value, field, 128);
}

/** Checks a queue name: same alphabet as ids, 1-64 characters. */
export function validateQueueName(value: unknown, field = "queue"): string {
  return validateSafeName(value, field, 64);
}

function validateSafeName(value: unknown, field: string, max: number): string {
  if (typeof value !== "string") {
    throw new ValidationError(field, `${field}: expected a string, got ${describe(value)}`);
  }
  if (value.length === 0 || value.length > max) {
    throw new ValidationError(
      field,
      `${field}: expected 1-${max} characters, got ${value.length} (${JSON.stringify(value.slice(0, 40))})`,
    );
  }
  if (!SAFE_NAME.test(value) || value.includes("..")) {
    throw new ValidationError(
      field,
      `${field}: ${JSON.stringify(value.slice(0, 80))} may only use A-Z a-z 0-9 _ . - (not first), and no ".."; path separators, spaces and control characters are rejected`,
    );
  }
  return value;
}

/** A short description of a value's type for error messages (never its content). */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a Date";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
