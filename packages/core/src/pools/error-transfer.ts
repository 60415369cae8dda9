import {
  reviveError,
  type SerializedThrown,
  serializeError as serializeThrown,
} from "../sync/error-transport.js";

/**
 * An error flattened for a pool's thread or process boundary: the sync bridge's format
 * ({@link SerializedThrown}), plus `DOMException`s (an `AbortSignal`'s default reasons), which
 * must come back as `DOMException`s so an abort's `"TimeoutError"` is not taken for OmniQ's.
 */
export type SerializedError =
  | SerializedThrown
  | { kind: "dom"; name: string; message: string; stack: string | undefined };

/** Flattens a thrown value (usually an Error) so it can be posted to another thread or process. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof DOMException) {
    return { kind: "dom", name: error.name, message: error.message, stack: error.stack };
  }
  return serializeThrown(error);
}

/**
 * Rebuilds an error flattened by {@link serializeError}, always as an `Error` (an attempt fails
 * with an error): OmniQ's errors as their class (found by name, so an `UnrecoverableError` stays
 * one), built-in errors as theirs, anything else as an `Error` with the original `name`; a
 * thrown non-error value becomes an `Error` whose `thrown` holds it.
 */
export function rebuildError(data: SerializedError): Error {
  if (data.kind === "dom") {
    const dom = new DOMException(data.message, data.name);
    if (data.stack !== undefined) {
      Object.defineProperty(dom, "stack", {
        value: data.stack,
        writable: true,
        configurable: true,
      });
    }
    return dom;
  }
  const value = reviveError(data);
  if (value instanceof Error) return value;
  return Object.assign(new Error(describe(value)), { thrown: value });
}

function describe(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
