/**
 * One failed call inside a batch request (GCS JSON API batch, Azure Blob Batch). `status` is read
 * by `httpStatusOf`, so a 429/5xx part counts as transient and the batch is retried.
 */
export class BatchPartError extends Error {
  /** The nested response's HTTP status; `undefined` when the batch had no answer for the call. */
  readonly status: number | undefined;
  /** The service's error code, e.g. `LeaseIdMissing`. */
  readonly code: string | undefined;

  constructor(message: string, status: number | undefined, code?: string) {
    super(message);
    this.name = "BatchPartError";
    this.status = status;
    this.code = code;
  }
}

/**
 * The error a batch throws for its failed calls: a transient one first (so the whole batch is
 * retried; calls that already succeeded then answer 404, which is fine), else the first other.
 */
export function batchFailure(
  failures: readonly BatchPartError[],
  isTransient: (error: unknown) => boolean,
): BatchPartError | undefined {
  return failures.find((f) => isTransient(f)) ?? failures[0];
}

/**
 * What a batch of `total` calls throws when some failed: the {@link batchFailure} one, its
 * message prefixed with how many failed (`undefined` when none did).
 */
export function batchError(
  failures: readonly BatchPartError[],
  total: number,
  isTransient: (error: unknown) => boolean,
): BatchPartError | undefined {
  const failure = batchFailure(failures, isTransient);
  if (!failure) return undefined;
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : "";
  return new BatchPartError(
    `${failures.length} of ${total} batched deletes failed; ${failure.message}${more}`,
    failure.status,
    failure.code,
  );
}
