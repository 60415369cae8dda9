import type { StorageTarget } from "@omniq/file";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Any target with every call held back by `ms` (a round trip to an object store in the same
 * region is typically 10-30 ms): what waiting for requests one by one costs shows up here, not
 * on the local test servers, which answer in about a millisecond.
 */
export class LatencyTarget implements StorageTarget {
  readonly kind: StorageTarget["kind"];
  readonly id: string;
  readonly capabilities: StorageTarget["capabilities"];

  constructor(
    readonly inner: StorageTarget,
    readonly ms: number,
  ) {
    this.kind = inner.kind;
    this.id = `${inner.id}#latency`;
    // Cross-process like the object store it stands for, so the queue behaves as it would there.
    this.capabilities = { ...inner.capabilities, crossProcess: true };
  }

  async #after<T>(fn: () => Promise<T>): Promise<T> {
    await sleep(this.ms);
    return fn();
  }

  read(key: string) {
    return this.#after(() => this.inner.read(key));
  }
  write(key: string, data: Uint8Array) {
    return this.#after(() => this.inner.write(key, data));
  }
  writeIfAbsent(key: string, data: Uint8Array) {
    return this.#after(() => this.inner.writeIfAbsent(key, data));
  }
  writeIfVersion(key: string, data: Uint8Array, version: string) {
    return this.#after(() => this.inner.writeIfVersion(key, data, version));
  }
  delete(key: string, version?: string) {
    return this.#after(() => this.inner.delete(key, version));
  }
  async deleteMany(keys: readonly string[]): Promise<void> {
    const inner = this.inner;
    if (typeof inner.deleteMany !== "function") {
      for (const key of keys) await this.delete(key);
      return;
    }
    return this.#after(() => inner.deleteMany!(keys));
  }
  list(options: Parameters<StorageTarget["list"]>[0]) {
    return this.#after(() => this.inner.list(options));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
