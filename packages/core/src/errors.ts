/**
 * Error classes users act on. Every error OmniQ throws is an {@link OmniQError}
 * with a stable `code`; messages start with the component that raised them.
 *
 * @example
 * ```ts
 * try { await queue.get("../etc") } catch (e) {
 *   if (e instanceof ValidationError) console.log(e.code, e.field) // "validation" "id"
 * }
 * ```
 */
export type OmniQErrorCode =
  | "validation"
  | "not_found"
  | "conflict"
  | "lease_lost"
  | "illegal_transition"
  | "closed"
  | "backend"
  | "timeout"
  | "unrecoverable"
  | "config"
  | "missing_package";

export interface OmniQErrorOptions {
  cause?: unknown;
}

/** Base class of every error OmniQ throws. `code` is stable across releases. */
export class OmniQError extends Error {
  readonly code: OmniQErrorCode;
  constructor(code: OmniQErrorCode, message: string, options?: OmniQErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad input: `field` names the path (e.g. `args[1].when`), `expected` what was wanted. */
export class ValidationError extends OmniQError {
  readonly field: string;
  constructor(field: string, message: string, options?: OmniQErrorOptions) {
    super("validation", message, options);
    this.field = field;
  }
}

/** The task, result or schedule does not exist. */
export class NotFoundError extends OmniQError {
  readonly id: string;
  constructor(message: string, id: string, options?: OmniQErrorOptions) {
    super("not_found", message, options);
    this.id = id;
  }
}

/** A write lost a race or would overwrite someone else's state. */
export class ConflictError extends OmniQError {
  constructor(message: string, options?: OmniQErrorOptions & { code?: OmniQErrorCode }) {
    super(options?.code ?? "conflict", message, options);
  }
}

/** The worker no longer holds the task's lease (it expired and was taken over, or the task was cancelled). */
export class LeaseLostError extends ConflictError {
  readonly taskId: string;
  constructor(message: string, taskId: string, options?: OmniQErrorOptions) {
    super(message, { ...options, code: "lease_lost" });
    this.taskId = taskId;
  }
}

/** A status change the transition table does not allow (e.g. completing a pending task). */
export class IllegalTransitionError extends ConflictError {
  readonly from: string;
  readonly to: string;
  constructor(message: string, from: string, to: string, options?: OmniQErrorOptions) {
    super(message, { ...options, code: "illegal_transition" });
    this.from = from;
    this.to = to;
  }
}

/** The component was closed; create a new one. */
export class ClosedError extends OmniQError {
  constructor(message: string, options?: OmniQErrorOptions) {
    super("closed", message, options);
  }
}

/** The storage failed (I/O, driver, network); `cause` holds the original error. */
export class BackendError extends OmniQError {
  constructor(message: string, options?: OmniQErrorOptions) {
    super("backend", message, options);
  }
}

/** Waiting for something (a result, a lock) took longer than allowed. */
export class TimeoutError extends OmniQError {
  constructor(message: string, options?: OmniQErrorOptions) {
    super("timeout", message, options);
  }
}

/**
 * Thrown by a handler to fail the task at once, without retries (as in BullMQ).
 *
 * @example
 * ```ts
 * omniq.task("charge", async (cardId: string) => {
 *   if (!valid(cardId)) throw new UnrecoverableError("card rejected");
 * });
 * ```
 */
export class UnrecoverableError extends OmniQError {
  constructor(message: string, options?: OmniQErrorOptions) {
    super("unrecoverable", message, options);
  }
}

/** Invalid configuration: `key` names the setting. */
export class ConfigError extends OmniQError {
  readonly key: string;
  constructor(key: string, message: string, options?: OmniQErrorOptions) {
    super("config", message, options);
    this.key = key;
  }
}

/** A backend package or SDK is not installed; the message names the package to install. */
export class MissingPackageError extends OmniQError {
  readonly packageName: string;
  constructor(packageName: string, message: string, options?: OmniQErrorOptions) {
    super("missing_package", message, options);
    this.packageName = packageName;
  }
}

/** Error classes by name, used to rebuild errors that crossed a thread or process boundary. */
export const errorClasses = {
  OmniQError,
  ValidationError,
  NotFoundError,
  ConflictError,
  LeaseLostError,
  IllegalTransitionError,
  ClosedError,
  BackendError,
  TimeoutError,
  UnrecoverableError,
  ConfigError,
  MissingPackageError,
} as const;
