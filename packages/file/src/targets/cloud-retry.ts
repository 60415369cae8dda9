import { ValidationError } from "@omniq/core";

/** How a cloud target retries transient failures (network errors, timeouts, 5xx, throttling). */
export interface CloudRetryOptions {
  /**
   * Retries after the first attempt; `0` disables retrying.
   * @defaultValue 5
   */
  retries?: number;
  /**
   * Delay before the first retry; each further retry doubles it (with jitter).
   * @defaultValue 100
   */
  retryBaseDelayMs?: number;
  /**
   * Upper bound of one delay.
   * @defaultValue 2000
   */
  retryMaxDelayMs?: number;
  /**
   * Time limit of one attempt (one HTTP request, body included); an attempt that takes longer
   * is aborted and counts as a transient failure. `0` disables the limit.
   * @defaultValue 30000
   */
  timeoutMs?: number;
}

export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** With these, six attempts span 1.55 s to 3.1 s: a short outage or restart is survived. */
export const DEFAULT_RETRY_POLICY = {
  retries: 5,
  baseDelayMs: 100,
  maxDelayMs: 2000,
} as const satisfies RetryPolicy;

function nonNegative(label: string, field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(field, `${label}: ${field} must be a number >= 0, got ${value}`);
  }
  return value;
}

/** Reads and checks the retry options, filling defaults. */
export function retryPolicyFrom(label: string, options: CloudRetryOptions): RetryPolicy {
  const retries = nonNegative(label, "retries", options.retries, DEFAULT_RETRY_POLICY.retries);
  if (!Number.isInteger(retries)) {
    throw new ValidationError("retries", `${label}: retries must be an integer, got ${retries}`);
  }
  return {
    retries,
    baseDelayMs: nonNegative(
      label,
      "retryBaseDelayMs",
      options.retryBaseDelayMs,
      DEFAULT_RETRY_POLICY.baseDelayMs,
    ),
    maxDelayMs: nonNegative(
      label,
      "retryMaxDelayMs",
      options.retryMaxDelayMs,
      DEFAULT_RETRY_POLICY.maxDelayMs,
    ),
  };
}

/**
 * Delay before retry number `retry` (0-based): "equal jitter" exponential back-off, half fixed
 * and half random, so the total wait has a floor (an outage of a known length is outlasted)
 * while concurrent clients still spread out.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return cap / 2 + Math.random() * (cap / 2);
}

export interface RetryState {
  /** Attempts made so far (1 after the first). */
  attempts: number;
}

/**
 * Runs `op`, retrying while `isTransient(error)` holds and retries remain; rethrows the last error.
 * `state.attempts` tells the caller how many attempts were made (also when it throws).
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  isTransient: (error: unknown) => boolean,
  state: RetryState,
  op: () => Promise<T>,
): Promise<T> {
  for (;;) {
    state.attempts++;
    try {
      return await op();
    } catch (error) {
      const retry = state.attempts - 1;
      if (retry >= policy.retries || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(policy, retry)));
    }
  }
}

const RETRY_KEYS = ["retries", "retryBaseDelayMs", "retryMaxDelayMs", "timeoutMs"] as const;

/** Separates the retry settings from the SDK settings of a `storageOptions` object. */
export function splitRetryOptions(storageOptions: Record<string, unknown> | undefined): {
  retry: CloudRetryOptions;
  rest: Record<string, unknown> | undefined;
} {
  if (!storageOptions) return { retry: {}, rest: undefined };
  const rest: Record<string, unknown> = { ...storageOptions };
  const retry: Record<string, unknown> = {};
  for (const key of RETRY_KEYS) {
    if (key in rest) {
      retry[key] = rest[key];
      delete rest[key];
    }
  }
  return { retry: retry as CloudRetryOptions, rest };
}

/** Default time limit of one attempt. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;

/** Reads and checks `timeoutMs`. */
export function timeoutFrom(label: string, value: unknown): number {
  return nonNegative(label, "timeoutMs", value, DEFAULT_ATTEMPT_TIMEOUT_MS);
}

/** The error an attempt fails with when it runs out of time (transient: `ETIMEDOUT`). */
export class AttemptTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/**
 * Runs `op` with an abort signal that fires after `ms` (no limit when `ms` is 0). The attempt
 * fails with {@link AttemptTimeoutError} at that moment, whether or not the SDK honours the
 * signal.
 */
export async function withTimeout<T>(
  ms: number,
  op: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  if (ms <= 0) return op(controller.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new AttemptTimeoutError(ms);
      reject(error);
      controller.abort(error);
    }, ms);
  });
  try {
    return await Promise.race([op(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
