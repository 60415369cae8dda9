import type { BaseBackend } from "@omniq/core";
import { AsyncFileEventStorage } from "./file-event-storage.js";
import { AsyncFileQueue, type FileQueueOptions } from "./file-queue.js";
import { AsyncFileResultStorage } from "./file-result-storage.js";
import { checkTargetOptions, type FileTargetOptions } from "./target-options.js";

/** Options of {@link FileBackend}: where the data lives, plus queue settings. */
export interface FileBackendOptions extends FileTargetOptions {
  /** Settings of the queue it makes (lease length, page size, ...). */
  queue?: Omit<FileQueueOptions, keyof FileTargetOptions>;
}

/**
 * Makes the three file components on one storage location; each is made once and closed
 * by `close()`. Each component can also be built alone, and mixed with other backends.
 *
 * @example
 * ```ts
 * const backend = new FileBackend({ baseDir: "./omniq-data" });
 * const omniq = new AsyncOmniQ({ queue: backend.queue(), results: backend.results(), events: backend.events() });
 * ```
 */
export class FileBackend implements BaseBackend {
  readonly #options: FileBackendOptions;
  #queue: AsyncFileQueue | undefined;
  #results: AsyncFileResultStorage | undefined;
  #events: AsyncFileEventStorage | undefined;

  constructor(options: FileBackendOptions) {
    checkTargetOptions(options, "file backend");
    this.#options = options;
  }

  #where(): FileTargetOptions {
    const { queue: _q, ...where } = this.#options;
    return where;
  }

  queue(): AsyncFileQueue {
    this.#queue ??= new AsyncFileQueue({ ...this.#options.queue, ...this.#where() });
    return this.#queue;
  }

  results(): AsyncFileResultStorage {
    this.#results ??= new AsyncFileResultStorage(this.#where());
    return this.#results;
  }

  events(): AsyncFileEventStorage {
    this.#events ??= new AsyncFileEventStorage(this.#where());
    return this.#events;
  }

  async close(): Promise<void> {
    await Promise.all([this.#queue?.close(), this.#results?.close(), this.#events?.close()]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
