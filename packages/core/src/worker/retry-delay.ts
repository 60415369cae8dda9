import type { RetryPolicy } from "../models/task.js";

/**
 * The delay before retrying after failed attempt number `attempt` (1-based):
 * `fixed` waits `delayMs`; `exponential` waits `delayMs * 2^(attempt-1)`; both are capped at
 * `maxDelayMs`, then multiplied by a random factor in `[1 - jitter, 1]`.
 *
 * @example
 * ```ts
 * retryDelay({ backoff: "exponential", delayMs: 100, maxDelayMs: 1000, jitter: 0 }, 3); // 400
 * ```
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base =
    policy.backoff === "fixed"
      ? policy.delayMs
      : policy.delayMs * 2 ** Math.min(Math.max(0, attempt - 1), 62);
  const capped = Math.min(base, policy.maxDelayMs);
  const factor = 1 - policy.jitter * random();
  return Math.max(0, Math.round(capped * factor));
}
