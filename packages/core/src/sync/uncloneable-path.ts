/** Where a value that structured clone rejects sits, and what it is. */
export interface Uncloneable {
  /** Path from the searched value: `""` (the value itself), `".fn"`, `"[1].fn"`, `'["a b"]'`. */
  path: string;
  /** What was found, with its article: `"a function"`, `"a symbol"`, `"a Promise"`. */
  what: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function keySegment(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function clones(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function describeObject(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== "string" || name === "") return "an object";
  return /^[AEIOU]/i.test(name) ? `an ${name}` : `a ${name}`;
}

function search(value: unknown, path: string, seen: Set<object>): Uncloneable | undefined {
  if (typeof value === "function") return { path, what: "a function" };
  if (typeof value === "symbol") return { path, what: "a symbol" };
  if (value === null || typeof value !== "object") return undefined;
  if (seen.has(value)) return undefined;
  seen.add(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      const seg = typeof k === "string" ? `.get(${JSON.stringify(k)})` : ".get(<key>)";
      const found = search(k, `${path}<map key>`, seen) ?? search(v, `${path}${seg}`, seen);
      if (found) return found;
    }
    return undefined;
  }
  if (value instanceof Set) {
    for (const v of value) {
      const found = search(v, `${path}<set member>`, seen);
      if (found) return found;
    }
    return undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = search(value[i], `${path}[${i}]`, seen);
      if (found) return found;
    }
    return undefined;
  }
  // Structured clone copies own enumerable string-keyed properties of ordinary objects.
  for (const key of Object.keys(value)) {
    const found = search(
      (value as Record<string, unknown>)[key],
      `${path}${keySegment(key)}`,
      seen,
    );
    if (found) return found;
  }
  // A platform or exotic object (Promise, WeakMap, ...) that clone rejects as a whole.
  if (!clones(value)) return { path, what: describeObject(value) };
  return undefined;
}

/**
 * Finds the first value inside `value` that structured clone rejects (a function, a symbol,
 * a Promise, a WeakMap, ...), depth first in property order, so an error can name its path.
 * Returns `undefined` when nothing is found (then the value clones, or fails for a reason
 * that has no single location, such as a detached buffer).
 *
 * @example
 * ```ts
 * findUncloneable({ name: "add", args: [1, { fn() {} }] }); // { path: ".args[1].fn", what: "a function" }
 * ```
 */
export function findUncloneable(value: unknown): Uncloneable | undefined {
  return search(value, "", new Set());
}
