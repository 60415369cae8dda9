import {
  DELETE_BATCH,
  type ListOptions,
  type ListPage,
  type StorageTarget,
  type StoredObject,
} from "./storage-target.js";

/** Requests made through a {@link CountingTarget}, by method. */
export interface RequestCounts {
  read: number;
  write: number;
  writeIfAbsent: number;
  writeIfVersion: number;
  delete: number;
  /**
   * `deleteMany` requests: one per call of up to `deleteBatchLimit` keys (1000 by default) on a
   * target with `batchDelete`.
   */
  deleteMany: number;
  list: number;
}

const zero = (): RequestCounts => ({
  read: 0,
  write: 0,
  writeIfAbsent: 0,
  writeIfVersion: 0,
  delete: 0,
  deleteMany: 0,
  list: 0,
});

/**
 * Wraps a target and counts the requests made through it: on an object store each method
 * call is one HTTP request, so this is the request bill (and latency) of a workload.
 *
 * @example
 * ```ts
 * const target = new CountingTarget(new MemoryTarget());
 * const queue = new AsyncFileQueue({ target });
 * // ... enqueue, dequeue, complete
 * console.log(target.total, target.counts); // 5 { read: 0, write: 1, writeIfAbsent: 2, ... }
 * ```
 */
export class CountingTarget implements StorageTarget {
  readonly kind: StorageTarget["kind"];
  readonly id: string;
  readonly capabilities: StorageTarget["capabilities"];
  counts: RequestCounts = zero();

  constructor(readonly inner: StorageTarget) {
    this.kind = inner.kind;
    this.id = inner.id;
    this.capabilities = inner.capabilities;
  }

  /** All requests counted since construction or the last `reset()`. */
  get total(): number {
    const c = this.counts;
    return c.read + c.write + c.writeIfAbsent + c.writeIfVersion + c.delete + c.deleteMany + c.list;
  }

  /** Zeroes the counters and returns what they were. */
  reset(): RequestCounts {
    const was = this.counts;
    this.counts = zero();
    return was;
  }

  read(key: string): Promise<StoredObject | null> {
    this.counts.read++;
    return this.inner.read(key);
  }
  write(key: string, data: Uint8Array): Promise<string> {
    this.counts.write++;
    return this.inner.write(key, data);
  }
  writeIfAbsent(key: string, data: Uint8Array): Promise<string | null> {
    this.counts.writeIfAbsent++;
    return this.inner.writeIfAbsent(key, data);
  }
  writeIfVersion(key: string, data: Uint8Array, version: string): Promise<string | null> {
    this.counts.writeIfVersion++;
    return this.inner.writeIfVersion(key, data, version);
  }
  delete(key: string, version?: string): Promise<boolean> {
    this.counts.delete++;
    return this.inner.delete(key, version);
  }
  /**
   * On a target with `batchDelete`, one request per `deleteBatchLimit` keys (1000 by default);
   * else one `delete` per key.
   */
  async deleteMany(keys: readonly string[]): Promise<void> {
    const inner = this.inner;
    if (inner.capabilities.batchDelete && typeof inner.deleteMany === "function") {
      const limit = inner.capabilities.deleteBatchLimit ?? DELETE_BATCH;
      this.counts.deleteMany += Math.ceil(keys.length / limit);
      return inner.deleteMany(keys);
    }
    for (const key of keys) await this.delete(key);
  }
  list(options: ListOptions): Promise<ListPage> {
    this.counts.list++;
    return this.inner.list(options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
