import { DELETE_BATCH, deleteKeys, type StorageTarget } from "../targets/storage-target.js";
import type { StoreState } from "./store-state.js";

/**
 * How long the first stale lease file of a batch may wait for others (ms): long enough that a
 * busy worker deletes them in one request per batch, short enough that other processes'
 * listings rarely meet them (a stale file costs a claimer elsewhere one read).
 */
const DISCARD_DELAY_MS = 250;

/**
 * Lease files whose record has moved on, deleted off the completing caller's path: at once
 * on local disk (one system call, and the inode is reusable), else in batches of up to the
 * target's batch limit (`deleteMany`: one request per 1000 keys on S3, 256 on Azure, 100 on
 * GCS) a moment later. Deleted keys go to `state.gone`; keys waiting for their batch are in
 * `state.discarding`.
 */
export class StaleFiles {
  #doomed: string[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: StorageTarget,
    private readonly state: StoreState,
  ) {}

  /**
   * Queues the deletion of a file that no longer matters for correctness (a lease file whose
   * record has moved on: nobody can claim or renew it, readers treat it as stale). Deleted in
   * batches (one `deleteMany` request per 1000 on S3) a moment later, or by `flush()`; a
   * process that dies first leaves it to the expired-lease sweep.
   */
  discard(key: string): void {
    if (this.target.capabilities.cheapDelete) {
      // Local disk: one system call, and the file's inode is reusable at once.
      void this.target.delete(key).then(
        () => this.state.gone.set(key, true),
        () => undefined,
      );
      return;
    }
    this.#doomed.push(key);
    this.state.discarding.add(key);
    if (this.#doomed.length >= (this.target.capabilities.deleteBatchLimit ?? DELETE_BATCH)) {
      void this.flush();
      return;
    }
    if (!this.#flushTimer) {
      this.#flushTimer = setTimeout(() => void this.flush(), DISCARD_DELAY_MS);
      this.#flushTimer.unref?.();
    }
  }

  /** Deletes the queued stale files now (best effort: failures are left to the sweep). */
  flush(): Promise<void> {
    if (this.#flushTimer) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    const keys = this.#doomed;
    this.#doomed = [];
    const run = this.#flushing.then(() =>
      deleteKeys(this.target, keys)
        .then(
          () => {
            for (const k of keys) this.state.gone.set(k, true);
          },
          () => undefined,
        )
        .finally(() => {
          for (const k of keys) this.state.discarding.delete(k);
        }),
    );
    this.#flushing = run;
    return run;
  }
}
