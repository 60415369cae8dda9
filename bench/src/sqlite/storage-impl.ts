/**
 * One implementation under test at the storage level: enqueue, claim and complete without a
 * worker. Synchronous peers return plain values; the timed loops await only promises, so a
 * synchronous floor is not charged for an `await` it would never do.
 */
export interface StorageHandle {
  /** Enqueues one task with args `[i]`. */
  enqueueOne(i: number): unknown;
  /** Enqueues `count` tasks in one bulk call; absent when the library has no bulk API. */
  enqueueBulk?(from: number, count: number): unknown;
  /** Claims the next task and completes it; `false` when none was due. */
  claimCompleteOne(): boolean | Promise<boolean>;
  /** Claims up to `limit` tasks and completes them in one batch; absent without a batch API. */
  claimCompleteBatch?(limit: number): number | Promise<number>;
  /** Adds `n` pending tasks (untimed set-up for the claim cases). */
  prefill(n: number): Promise<void>;
  close(): Promise<void> | void;
}

export interface StorageImpl {
  /** Registry key (children get it on their command line). */
  key: string;
  /** Row label. */
  name: string;
  floor?: boolean;
  /** What one-by-one claim+complete calls, shown in the table. */
  claimNote: string;
  bulkNote?: string;
  batchNote?: string;
  open(path: string): Promise<StorageHandle>;
}

/** Awaits only when the value is a promise. */
export async function settle<T>(v: T | Promise<T>): Promise<T> {
  return v instanceof Promise ? await v : v;
}
