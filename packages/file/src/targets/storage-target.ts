/**
 * The object-shaped storage layer under `@omniq/file` (fsspec-like in spirit): every
 * target stores whole objects by key and offers exactly the conditional operations that
 * claiming needs. Keys are relative, `/`-separated, already validated (no `..`, no
 * leading `/`, no backslash or control characters); each target prefixes its `baseDir`.
 *
 * Versions are opaque strings: an ETag on S3 and Azure, a generation on GCS, a counter
 * on memory, `mtimeNs:ino:size` on local disk.
 */
export interface StoredObject {
  data: Uint8Array;
  version: string;
}

export interface ListEntry {
  key: string;
  version?: string;
}

export interface ListPage {
  entries: ListEntry[];
  /** Pass back as `cursor` for the next page; `null` when done. */
  cursor: string | null;
}

export interface ListOptions {
  /** Keys starting with this (relative to baseDir). */
  prefix: string;
  /** Only keys strictly after this one (lexicographic), when the target supports it natively. */
  startAfter?: string;
  /** @defaultValue 1000 */
  limit?: number;
  cursor?: string | null;
}

/** What a target can guarantee; the queue and the tests read these. */
export interface TargetCapabilities {
  /** Conditional writes hold across OS processes and machines. */
  crossProcess: boolean;
  /** Listing returns keys in lexicographic order (all five do). */
  orderedList: boolean;
}

export interface StorageTarget {
  readonly kind: "memory" | "local" | "s3" | "azure" | "gcs" | "zenfs";
  readonly capabilities: TargetCapabilities;
  /** `null` when the key does not exist. */
  read(key: string): Promise<StoredObject | null>;
  /** Unconditional write; returns the new version. */
  write(key: string, data: Uint8Array): Promise<string>;
  /** Creates the key only if absent: returns the version, or `null` when it already existed (a lost race, not an error). */
  writeIfAbsent(key: string, data: Uint8Array): Promise<string | null>;
  /** Replaces the key only if its version is still `version`: returns the new version, or `null` (lost race / gone). */
  writeIfVersion(key: string, data: Uint8Array, version: string): Promise<string | null>;
  /** Deletes; with `version`, only if it still matches. `true` when this call deleted it. */
  delete(key: string, version?: string): Promise<boolean>;
  /** Lists keys under a prefix in lexicographic order, paginated. */
  list(options: ListOptions): Promise<ListPage>;
  close(): Promise<void>;
}
