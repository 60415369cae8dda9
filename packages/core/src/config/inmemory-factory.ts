import { ConfigError } from "../errors.js";
import { AsyncMemoryEventStorage } from "../memory/memory-event-storage.js";
import { AsyncMemoryQueue, type AsyncMemoryQueueOptions } from "../memory/memory-queue.js";
import { AsyncMemoryResultStorage } from "../memory/memory-result-storage.js";
import type { UrlComponentOptions, UrlFactory } from "./url-factory.js";

function checkUrl(url: string, kind: string): void {
  if (url !== "inmemory:" && url !== "inmemory://") {
    throw new ConfigError(
      `${kind}.url`,
      `inmemory ${kind}: the URL is exactly "inmemory:" (each one is a new, private store; for a named store shared in this process use memory://name from @omniq/file)`,
    );
  }
}

function noStorageOptions(options: UrlComponentOptions | undefined, kind: string): void {
  if (options?.storageOptions !== undefined && Object.keys(options.storageOptions).length > 0) {
    throw new ConfigError(
      `${kind}.storageOptions`,
      `inmemory ${kind}: the inmemory: scheme takes no storageOptions`,
    );
  }
}

/**
 * Core's own in-memory components behind the `inmemory:` scheme: every URL resolves to a
 * new private store ({@link AsyncMemoryQueue}, {@link AsyncMemoryResultStorage},
 * {@link AsyncMemoryEventStorage}). Needs no backend package; meant for tests.
 *
 * @example
 * ```ts
 * const omniq = await createOmniQ({ config: { queue: "inmemory:", results: "inmemory:" } });
 * ```
 */
export const inMemoryUrlFactory: UrlFactory = {
  schemes: ["inmemory"],
  queue(url, options) {
    checkUrl(url, "queue");
    noStorageOptions(options, "queue");
    const { storageOptions: _, ...rest } = options ?? {};
    return new AsyncMemoryQueue(rest as AsyncMemoryQueueOptions);
  },
  results(url, options) {
    checkUrl(url, "results");
    noStorageOptions(options, "results");
    return new AsyncMemoryResultStorage();
  },
  events(url, options) {
    checkUrl(url, "events");
    noStorageOptions(options, "events");
    return new AsyncMemoryEventStorage();
  },
};
