import { types } from "node:util";
import { errorClasses } from "../errors.js";

/** A thrown value flattened for `postMessage`: an error's class name, fields and cause chain, or a plain value. */
export type SerializedThrown =
  | {
      kind: "error";
      name: string;
      message: string;
      stack: string | undefined;
      /** Own enumerable properties that survive structured clone (`code`, `field`, `taskId`, ...). */
      props: Record<string, unknown>;
      cause?: SerializedThrown;
      /** `AggregateError.errors`. */
      errors?: SerializedThrown[];
    }
  | { kind: "value"; value: unknown };

const MAX_DEPTH = 16;
const SKIPPED_PROPS = new Set(["stack", "message", "cause", "errors"]);

const nativeErrorClasses: Record<string, ErrorConstructor | AggregateErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
};

function isErrorLike(value: unknown): value is Error {
  return types.isNativeError(value) || value instanceof Error;
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Flattens a thrown value so it can cross a thread or process boundary with its class name,
 * `code`, message, stack, extra fields and `cause` chain (see {@link reviveError}).
 *
 * @example
 * ```ts
 * port.postMessage({ ok: false, error: serializeError(err) });
 * ```
 */
export function serializeError(thrown: unknown, depth = 0): SerializedThrown {
  if (!isErrorLike(thrown)) {
    return { kind: "value", value: cloneable(thrown) ? thrown : String(thrown) };
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(thrown)) {
    if (SKIPPED_PROPS.has(key)) continue;
    const value = (thrown as unknown as Record<string, unknown>)[key];
    if (cloneable(value)) props[key] = value;
  }
  const out: SerializedThrown = {
    kind: "error",
    name: typeof thrown.name === "string" ? thrown.name : "Error",
    message: typeof thrown.message === "string" ? thrown.message : String(thrown.message),
    stack: typeof thrown.stack === "string" ? thrown.stack : undefined,
    props,
  };
  if (depth < MAX_DEPTH && Object.hasOwn(thrown, "cause")) {
    out.cause = serializeError(thrown.cause, depth + 1);
  }
  const errors = (thrown as { errors?: unknown }).errors;
  if (depth < MAX_DEPTH && Array.isArray(errors)) {
    out.errors = errors.map((e) => serializeError(e, depth + 1));
  }
  return out;
}

/**
 * Rebuilds what {@link serializeError} flattened: OmniQ errors and the built-in error types get
 * their class back (`instanceof ValidationError` holds), any other name becomes a plain `Error`
 * with that `name`. `callSite` (stack lines, `"    at ..."`) is appended to the stack so it shows
 * both where the error was thrown and where the caller waited for it.
 */
export function reviveError(serialized: SerializedThrown, callSite?: string): unknown {
  if (serialized.kind === "value") return serialized.value;
  const name = serialized.name;
  const ctor =
    (Object.hasOwn(errorClasses, name)
      ? (errorClasses as Record<string, unknown>)[name]
      : undefined) ??
    (Object.hasOwn(nativeErrorClasses, name) ? nativeErrorClasses[name] : undefined) ??
    Error;
  // A real Error object (native stack slot, util.inspect renders it as an error) with the
  // class's prototype, without running a constructor whose parameters we do not know.
  const error = Reflect.construct(Error, [serialized.message], ctor as ErrorConstructor) as Error;
  for (const [key, value] of Object.entries(serialized.props)) {
    (error as unknown as Record<string, unknown>)[key] = value;
  }
  if (error.name !== serialized.name) {
    Object.defineProperty(error, "name", {
      value: serialized.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (serialized.cause !== undefined) {
    Object.defineProperty(error, "cause", {
      value: reviveError(serialized.cause),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (serialized.errors !== undefined) {
    Object.defineProperty(error, "errors", {
      value: serialized.errors.map((e) => reviveError(e)),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  const stack = serialized.stack ?? `${serialized.name}: ${serialized.message}`;
  Object.defineProperty(error, "stack", {
    value: callSite ? `${stack}\n${callSite}` : stack,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return error;
}
