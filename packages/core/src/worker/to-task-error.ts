import type { TaskError } from "../models/task.js";

/** Whether a handler's error asks to fail at once (an `UnrecoverableError`, also after crossing a thread). */
export function isUnrecoverable(err: unknown): boolean {
  if (err === null || typeof err !== "object") return false;
  const e = err as { code?: unknown; name?: unknown };
  return e.code === "unrecoverable" || e.name === "UnrecoverableError";
}

/** The stored form of a thrown value. `kind` defaults to the error's own `kind`, else `"handler"`. */
export function toTaskError(err: unknown, retryable: boolean, kind?: string): TaskError {
  if (err instanceof Error || (err !== null && typeof err === "object" && "message" in err)) {
    const e = err as Error & { kind?: unknown };
    return {
      name: typeof e.name === "string" ? e.name : "Error",
      message: String(e.message),
      stack: typeof e.stack === "string" ? e.stack : undefined,
      retryable,
      kind: kind ?? (typeof e.kind === "string" ? e.kind : "handler"),
    };
  }
  return { name: "Error", message: String(err), retryable, kind: kind ?? "handler" };
}
