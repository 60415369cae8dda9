import { OmniQError, type OmniQErrorOptions } from "../errors.js";

/** What is known about how a pool thread or process ended. */
export interface WorkerCrashDetails {
  /** Exit code of the thread or process, `null` when it was killed by a signal. */
  exitCode: number | null;
  /** The signal that killed the process (`"SIGKILL"`, ...); always `null` for threads. */
  signal: string | null;
}

/**
 * The thread or process running an attempt died before the handler settled: `process.exit()`,
 * an uncaught exception (in a timer, say), running out of memory or `resourceLimits`, or a
 * signal such as SIGKILL. `cause` holds the uncaught error when one was reported.
 *
 * The attempt is retryable (the task may well succeed on a fresh thread); the pool has
 * already replaced the thread or process. `code` is `"backend"`, `kind` is `"crash"`.
 *
 * @example
 * ```ts
 * try { await executor.execute(ctx) } catch (e) {
 *   if (e instanceof WorkerCrashedError) console.log(e.exitCode, e.signal) // 1 null
 * }
 * ```
 */
export class WorkerCrashedError extends OmniQError {
  /** Stored as the task error's `kind`. */
  readonly kind = "crash";
  readonly exitCode: number | null;
  readonly signal: string | null;
  constructor(message: string, details: WorkerCrashDetails, options?: OmniQErrorOptions) {
    super("backend", message, options);
    this.exitCode = details.exitCode;
    this.signal = details.signal;
  }
}
