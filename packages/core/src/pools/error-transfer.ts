import { errorClasses } from "../errors.js";

/**
 * An error flattened for a thread or process boundary: structured clone keeps neither the
 * class nor (across processes) the custom properties of an error, so they travel as data.
 */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** `err.code` when it was set (OmniQ's `"unrecoverable"`, Node's `"ENOENT"`, ...). */
  code?: unknown;
  /** Other own enumerable properties that survive a structured clone (`field`, `taskId`, ...). */
  props?: Record<string, unknown>;
  cause?: SerializedError;
  /** The value, when something other than an Error was thrown or used as an abort reason. */
  thrown?: unknown;
  /** `"dom"` for a `DOMException` (an `AbortSignal`'s default reason). */
  kind?: "dom";
}

const RESERVED = new Set(["name", "message", "stack", "code", "cause"]);
const MAX_CAUSE_DEPTH = 4;

const builtinErrors: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Flattens a thrown value (usually an Error) so it can be posted to another thread or process. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    const out: SerializedError = { name: "Error", message: describe(error) };
    if (error !== undefined && cloneable(error)) out.thrown = error;
    return out;
  }
  const out: SerializedError = { name: error.name, message: error.message };
  if (typeof error.stack === "string") out.stack = error.stack;
  if (error instanceof DOMException) {
    out.kind = "dom";
    return out;
  }
  const code = (error as { code?: unknown }).code;
  if (code !== undefined && cloneable(code)) out.code = code;
  for (const [key, value] of Object.entries(error)) {
    if (RESERVED.has(key) || value === undefined || !cloneable(value)) continue;
    out.props ??= {};
    out.props[key] = value;
  }
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    out.cause = serializeError(error.cause, depth + 1);
  }
  return out;
}

/**
 * Rebuilds an error flattened by {@link serializeError}. OmniQ's errors come back as their own
 * class (found by name in `errorClasses`, so an `UnrecoverableError` stays one), built-in errors
 * as theirs, anything else as an `Error` with the original `name`. Message, stack, `code`,
 * custom properties and `cause` are kept.
 */
export function rebuildError(data: SerializedError): Error {
  if (data.kind === "dom") {
    const dom = new DOMException(data.message, data.name);
    if (data.stack !== undefined) setOwn(dom, "stack", data.stack);
    return dom;
  }
  const ctor: abstract new (...args: never[]) => Error =
    (Object.hasOwn(errorClasses, data.name)
      ? errorClasses[data.name as keyof typeof errorClasses]
      : undefined) ??
    (Object.hasOwn(builtinErrors, data.name) ? builtinErrors[data.name] : undefined) ??
    Error;
  // Reflect.construct gives a real Error (native stack slot) with `ctor`'s prototype,
  // without running a subclass constructor whose parameters we do not know.
  const error = Reflect.construct(Error, [data.message], ctor) as Error;
  if (error.name !== data.name) error.name = data.name;
  if (data.stack !== undefined) setOwn(error, "stack", data.stack);
  const target = error as unknown as Record<string, unknown>;
  if (data.code !== undefined) target.code = data.code;
  if (data.props) Object.assign(target, data.props);
  if (data.thrown !== undefined) target.thrown = data.thrown;
  if (data.cause) setOwn(error, "cause", rebuildError(data.cause));
  return error;
}

function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
