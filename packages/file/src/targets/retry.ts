import { BackendError } from "@omniq/core";

export interface RetryOptions {
  /** Attempts in all, the first included. @defaultValue 6 */
  attempts?: number;
  /** First back-off delay; doubles each time, with jitter. @defaultValue 10 */
  baseDelayMs?: number;
  /** @defaultValue 1000 */
  maxDelayMs?: number;
}

/** Node error codes that mean "try again shortly" on local disk. */
export const TRANSIENT_FS_CODES: ReadonlySet<string> = new Set([
  "EBUSY",
  "EMFILE",
  "ENFILE",
  "EAGAIN",
  "EINTR",
  "ETIMEDOUT",
  "EPERM", // Windows: a file being renamed over is briefly locked by a reader
]);

/** Whether a `node:fs` error is transient. */
export function isTransientFsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && TRANSIENT_FS_CODES.has(code);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `op`, retrying it with exponential back-off and jitter while `isTransient(err)` says
 * so. Other errors, and the last transient one, are thrown as a {@link BackendError} whose
 * message is `"<what> failed: <code or name>"` — built from `what` and the error's code, never
 * from the error's own message, which for cloud SDKs may carry request details.
 *
 * @example
 * ```ts
 * const data = await retryTransient(`local target: read ${key}`, () => readFile(path), isTransientFsError);
 * ```
 */
export async function retryTransient<T>(
  what: string,
  op: () => Promise<T>,
  isTransient: (err: unknown) => boolean,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  const base = options.baseDelayMs ?? 10;
  const max = options.maxDelayMs ?? 1000;
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (err) {
      if (err instanceof BackendError || !isTransient(err) || i >= attempts) {
        throw toBackendError(what, err);
      }
      const delay = Math.min(max, base * 2 ** (i - 1));
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}

/** Wraps `err` in a {@link BackendError} naming `what` and the error's code (not its message). */
export function toBackendError(what: string, err: unknown): Error {
  if (err instanceof BackendError) return err;
  if (err instanceof Error && (err as { code?: unknown }).code === "validation") return err;
  const code =
    (err as { code?: unknown } | null)?.code ??
    (err as { name?: unknown } | null)?.name ??
    "unknown error";
  return new BackendError(`${what} failed: ${String(code)}`, { cause: err });
}
