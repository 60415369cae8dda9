import { ValidationError } from "@omniq/core";

/** Longest key accepted (S3 and GCS allow 1024 bytes). */
export const MAX_KEY_LENGTH = 1024;
/** Longest path segment (a file name on local disk). */
export const MAX_SEGMENT_LENGTH = 255;

/**
 * One key segment: `A-Z a-z 0-9 _ . - ! ~ = + @ ,`, not starting with `.` (dot-files are
 * the local target's temp and lock files), never `..` anywhere.
 */
const SEGMENT = /^[A-Za-z0-9_!~=+@,-][A-Za-z0-9_.!~=+@,-]*$/;
/** A whole key: `/`-separated segments of at most 255 characters each. */
const KEY =
  /^[A-Za-z0-9_!~=+@,-][A-Za-z0-9_.!~=+@,-]{0,254}(?:\/[A-Za-z0-9_!~=+@,-][A-Za-z0-9_.!~=+@,-]{0,254})*$/;

function reject(key: string, why: string, field: string): never {
  throw new ValidationError(
    field,
    `file target: ${field} ${JSON.stringify(key.slice(0, 120))} ${why}; keys are relative, "/"-separated segments of A-Z a-z 0-9 _ . - ! ~ = + @ , that do not start with "." and never contain ".."`,
  );
}

/**
 * Checks an object key before any target touches it (every target calls it again on its
 * own, defence in depth): relative, no empty, `.` or `..` segment, no backslash, NUL or
 * control character, no segment starting with `.`, at most 1024 characters.
 *
 * @example
 * ```ts
 * assertValidKey("tasks/abc.json");  // ok
 * assertValidKey("../etc/passwd");   // throws ValidationError (field "key")
 * ```
 */
export function assertValidKey(key: string, field = "key"): string {
  // Fast path: one regex over the whole key, no allocation.
  if (
    typeof key === "string" &&
    key.length <= MAX_KEY_LENGTH &&
    KEY.test(key) &&
    !key.includes("..")
  ) {
    return key;
  }
  if (typeof key !== "string" || key.length === 0) reject(String(key), "is empty", field);
  if (key.length > MAX_KEY_LENGTH) reject(key, `is longer than ${MAX_KEY_LENGTH}`, field);
  if (key.includes("..")) reject(key, 'contains ".."', field);
  for (const seg of key.split("/")) {
    if (seg.length === 0)
      reject(key, "has an empty segment (leading, trailing or double /)", field);
    if (seg.length > MAX_SEGMENT_LENGTH)
      reject(key, `has a segment longer than ${MAX_SEGMENT_LENGTH}`, field);
    if (!SEGMENT.test(seg)) reject(key, "has a character or segment that is not allowed", field);
  }
  return reject(key, "is not allowed", field);
}

/**
 * Checks a listing prefix: like a key, except that it may be empty and may end with `/`
 * or in the middle of a segment.
 */
export function assertValidPrefix(prefix: string, field = "prefix"): string {
  if (typeof prefix !== "string") reject(String(prefix), "is not a string", field);
  if (prefix === "") return prefix;
  const body = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (body === "") reject(prefix, "is only a slash", field);
  assertValidKey(body, field);
  return prefix;
}

/** Whether `key` is a valid key (no throw). */
export function isValidKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}
