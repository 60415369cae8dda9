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
/** Characters allowed in a segment (`.` too, but not first); index by char code. */
const ALLOWED = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_!~=+@,-.") {
  ALLOWED[c.charCodeAt(0)] = 1;
}
const DOT = 46;
const SLASH = 47;

/** At most 1024 characters of `/`-separated {@link SEGMENT}s of at most 255, no `..`. */
function fastValid(key: string): boolean {
  const n = key.length;
  if (n === 0 || n > MAX_KEY_LENGTH) return false;
  let segStart = 0;
  let prev = SLASH;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c === SLASH) {
      if (i === segStart) return false;
      segStart = i + 1;
    } else {
      if (c >= 128 || ALLOWED[c] === 0) return false;
      if (c === DOT && (i === segStart || prev === DOT)) return false;
      if (i - segStart >= MAX_SEGMENT_LENGTH) return false;
    }
    prev = c;
  }
  return segStart < n;
}

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
  // Fast path: one pass over the characters, no allocation (the regex below says the same).
  if (typeof key === "string" && fastValid(key)) return key;
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
