import { blockingClass } from "@omniq/core";
import type { AsyncFileEventStorage, FileEventStorageOptions } from "./file-event-storage.js";
import type { AsyncFileQueue, FileQueueOptions } from "./file-queue.js";
import type { AsyncFileResultStorage, FileResultStorageOptions } from "./file-result-storage.js";

/**
 * The blocking twin of {@link AsyncFileQueue}: same methods, plain return values. It runs the
 * async queue in a worker thread, so its options must be plain data: a `baseDir`, a `url`
 * or a target spec (`{ kind: "local", baseDir }`), not a target instance or a logger. A
 * `memory://` store lives in that thread, apart from the main thread's.
 *
 * @example
 * ```ts
 * using queue = new FileQueue({ baseDir: "./omniq-data" });
 * const task = queue.enqueue({ name: "email.send", args: ["a@example.com"] });
 * ```
 */
export const FileQueue = blockingClass<AsyncFileQueue, [FileQueueOptions]>(
  new URL("./file-queue.js", import.meta.url).href,
  "AsyncFileQueue",
);
export type FileQueue = InstanceType<typeof FileQueue>;

/** The blocking twin of {@link AsyncFileResultStorage} (options as for {@link FileQueue}). */
export const FileResultStorage = blockingClass<AsyncFileResultStorage, [FileResultStorageOptions]>(
  new URL("./file-result-storage.js", import.meta.url).href,
  "AsyncFileResultStorage",
);
export type FileResultStorage = InstanceType<typeof FileResultStorage>;

/** The blocking twin of {@link AsyncFileEventStorage} (options as for {@link FileQueue}). */
export const FileEventStorage = blockingClass<AsyncFileEventStorage, [FileEventStorageOptions]>(
  new URL("./file-event-storage.js", import.meta.url).href,
  "AsyncFileEventStorage",
);
export type FileEventStorage = InstanceType<typeof FileEventStorage>;
