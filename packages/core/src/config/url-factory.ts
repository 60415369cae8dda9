import type { EventStorage } from "../contracts/base-event-storage.js";
import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { TaskQueue } from "../contracts/queue-types.js";

/** Options given with a component URL (the spec's `storageOptions` and friends). */
export interface UrlComponentOptions {
  /** Credentials, endpoint and client settings for the storage target. Never logged. */
  storageOptions?: Record<string, unknown>;
  /** Anything else the backend accepts in its constructor. */
  [key: string]: unknown;
}

/**
 * What a backend package exports as `omniqUrlFactory` so that configuration can build
 * its components from URLs: `sqlite:` maps to `@omniq/sqlite`; `memory:`, `file:`,
 * `s3:`, `azure:` and `gs:` to `@omniq/file`.
 */
export interface UrlFactory {
  /** The URL schemes this package serves, without the colon. */
  readonly schemes: readonly string[];
  queue(url: string, options?: UrlComponentOptions): TaskQueue;
  results(url: string, options?: UrlComponentOptions): ResultStorage;
  events(url: string, options?: UrlComponentOptions): EventStorage;
}
