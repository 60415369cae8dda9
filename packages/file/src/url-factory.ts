import type { UrlComponentOptions, UrlFactory } from "@omniq/core";
import { AsyncFileEventStorage } from "./file-event-storage.js";
import { AsyncFileQueue, type FileQueueOptions } from "./file-queue.js";
import { AsyncFileResultStorage } from "./file-result-storage.js";

function opts(url: string, options: UrlComponentOptions | undefined): FileQueueOptions {
  const { storageOptions, ...rest } = options ?? {};
  return {
    ...(rest as Partial<FileQueueOptions>),
    url,
    ...(storageOptions ? { storageOptions } : {}),
  };
}

/**
 * Builds file components from URLs for OmniQ's configuration: `memory://name` (a store
 * shared in this process), `file:./dir`, `file:///abs/dir`, `s3://bucket/prefix`,
 * `azure://container/prefix`, `gs://bucket/prefix`. Credentials go in `storageOptions`.
 *
 * @example
 * ```ts
 * const queue = omniqUrlFactory.queue("file:./omniq-data");
 * const results = omniqUrlFactory.results("s3://my-bucket/omniq", { storageOptions: { region: "eu-west-1" } });
 * ```
 */
export const omniqUrlFactory: UrlFactory = {
  schemes: ["memory", "file", "s3", "azure", "gs"],
  queue: (url, options) => new AsyncFileQueue(opts(url, options)),
  results: (url, options) => new AsyncFileResultStorage(opts(url, options)),
  events: (url, options) => new AsyncFileEventStorage(opts(url, options)),
};
