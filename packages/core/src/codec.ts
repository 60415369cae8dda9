import { ValidationError } from "./errors.js";

/**
 * JSON values plus the extra types OmniQ round-trips faithfully:
 * `Date`, `bigint` and `Uint8Array` (Buffers come back as Uint8Array).
 * Plain objects and arrays nest freely.
 */
export type Serializable =
  | string
  | number
  | boolean
  | null
  | Date
  | bigint
  | Uint8Array
  | readonly Serializable[]
  | { readonly [key: string]: Serializable | undefined };

const TAG = "$omniq";

/**
 * Encodes args, results and metadata to a JSON string.
 *
 * Accepted: JSON values, `Date`, `bigint`, `Uint8Array`; object properties that are
 * `undefined` are dropped (as `JSON.stringify` does). Rejected with a {@link ValidationError}
 * naming the path (`args[1].when`): functions, symbols, cycles, `NaN`/`Infinity`,
 * invalid dates, `undefined` in arrays, and class instances such as `Map`.
 *
 * @example
 * ```ts
 * encode([{ when: new Date(0) }], "args"); // '[{"when":{"$omniq":"date","v":"1970-01-01T00:00:00.000Z"}}]'
 * ```
 */
export function encode(value: unknown, path = "value"): string {
  return JSON.stringify(toJson(value, path, new Set()));
}

/** Decodes what {@link encode} wrote. */
export function decode<T = unknown>(text: string): T {
  const parsed: unknown = JSON.parse(text);
  // Without the tag anywhere in the text there is nothing to rebuild: skip the walk.
  return (text.includes(TAG) ? fromJson(parsed) : parsed) as T;
}

/** Rebuilds tagged values in an already parsed JSON value (the inverse of {@link toJson}). */
export { fromJson };

/** Checks a value is encodable and returns its JSON-ready form (tags in place). */
export function toJson(value: unknown, path: string, seen: Set<object>): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) {
        throw new ValidationError(path, `${path}: ${value} cannot be stored (only finite numbers)`);
      }
      return value;
    case "bigint":
      return { [TAG]: "bigint", v: value.toString() };
    case "undefined":
      throw new ValidationError(path, `${path}: undefined cannot be stored (use null)`);
    case "function":
      throw new ValidationError(path, `${path}: a function cannot be stored`);
    case "symbol":
      throw new ValidationError(path, `${path}: a symbol cannot be stored`);
  }
  if (value === null) return null;
  const obj = value as object;
  if (obj instanceof Date) {
    if (Number.isNaN(obj.getTime())) {
      throw new ValidationError(path, `${path}: an invalid Date cannot be stored`);
    }
    return { [TAG]: "date", v: obj.toISOString() };
  }
  if (obj instanceof Uint8Array) {
    return {
      [TAG]: "bytes",
      v: Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString("base64"),
    };
  }
  if (seen.has(obj)) throw new ValidationError(path, `${path}: a cycle cannot be stored`);
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      return obj.map((item, i) => toJson(item, `${path}[${i}]`, seen));
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? "object";
      throw new ValidationError(
        path,
        `${path}: a ${kind} instance cannot be stored (plain objects, arrays, Date, bigint and Uint8Array only)`,
      );
    }
    const out: Record<string, unknown> = {};
    const keys = Object.keys(obj);
    for (const key of keys) {
      const v = (obj as Record<string, unknown>)[key];
      if (v === undefined) continue;
      out[key] = toJson(v, path === "" ? key : `${path}.${key}`, seen);
    }
    if (TAG in out) return { [TAG]: "object", v: out };
    return out;
  } finally {
    seen.delete(obj);
  }
}

function fromJson(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(fromJson);
  const rec = value as Record<string, unknown>;
  const tag = rec[TAG];
  if (typeof tag === "string" && "v" in rec) {
    switch (tag) {
      case "date":
        return new Date(rec.v as string);
      case "bigint":
        return BigInt(rec.v as string);
      case "bytes":
        return new Uint8Array(Buffer.from(rec.v as string, "base64"));
      case "object":
        return fromPlain(rec.v as Record<string, unknown>);
    }
  }
  return fromPlain(rec);
}

function fromPlain(rec: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(rec)) out[key] = fromJson(rec[key]);
  return out;
}

/** Byte length of an encoded value, used by backends to enforce their payload limit. */
export function encodedSize(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
