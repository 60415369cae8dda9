/**
 * The object-shaped storage layer under `@omniq/file` (fsspec-like in spirit): every
 * target stores whole objects by key and offers exactly the conditional operations that
 * claiming needs. Keys are relative, `/`-separated, and validated by the caller with
 * {@link assertValidKey}; a target validates them again (defence in depth) and prefixes its
 * base directory or key prefix. Nothing is ever read or written outside that base.
 *
 * Versions are opaque strings: an ETag on S3 and Azure, a generation on GCS, a counter
 * on memory, `ino:mtimeNs:size` on local disk, a content hash on zenfs.
 *
 * A lost race is a normal outcome, never an error: `writeIfAbsent` and `writeIfVersion`
 * return `null`, `delete` returns `false`. Transient failures (EBUSY, EMFILE, timeouts,
 * 5xx, throttling, S3's 409 ConditionalRequestConflict) are retried inside the target with
 * back-off (see `retryTransient`); what still fails is thrown as a `BackendError` whose
 * message names the operation and the key but never a credential.
 *
 * @example
 * ```ts
 * const target = new LocalTarget({ baseDir: "./data" });
 * const v1 = await target.writeIfAbsent("a/b.json", bytes); // "123:1700000000000000000:42"
 * await target.writeIfAbsent("a/b.json", bytes);            // null: it exists
 * await target.writeIfVersion("a/b.json", other, "stale");  // null: someone changed it
 * ```
 */
export interface StoredObject {
  data: Uint8Array;
  version: string;
}

export interface ListEntry {
  key: string;
  /** Present on object stores; on local disk only when `versions: true` was asked. */
  version?: string;
}

export interface ListPage {
  entries: ListEntry[];
  /** Pass back as `cursor` for the next page; `null` when done. */
  cursor: string | null;
}

export interface ListOptions {
  /** Keys starting with this (relative to the base); it may end in the middle of a name. */
  prefix: string;
  /** Only keys strictly after this one (lexicographic). Ignored when `cursor` is given. */
  startAfter?: string;
  /** @defaultValue 1000 */
  limit?: number;
  cursor?: string | null;
  /**
   * Ask for `version` on each entry. Object stores return versions anyway; local disk pays
   * one `stat` per entry for them, so it adds them only when asked. @defaultValue false
   */
  versions?: boolean;
}

/** What a target can guarantee; the queue and the tests read these. */
export interface TargetCapabilities {
  /** Conditional writes hold across OS processes and machines. */
  crossProcess: boolean;
  /** Listing returns keys in lexicographic order (all targets do). */
  orderedList: boolean;
  /**
   * `deleteMany` deletes up to 1000 keys in one request (S3 `DeleteObjects`; the memory
   * target models it). Without it `deleteMany` costs one request per key. @defaultValue false
   */
  batchDelete?: boolean;
  /**
   * A delete costs about one local system call (local disk): files that no longer matter
   * are deleted at once instead of being batched (which only saves requests on object
   * stores), so their space is reusable sooner. @defaultValue false
   */
  cheapDelete?: boolean;
  /**
   * With `batchDelete`: most keys one batch request takes (Azure Blob Batch 256, GCS batch 100);
   * `deleteMany` of more keys sends one request per this many. @defaultValue 1000
   */
  deleteBatchLimit?: number;
}

export interface StorageTarget {
  readonly kind: "memory" | "local" | "s3" | "azure" | "gcs" | "zenfs";
  /**
   * Names the store, without credentials: two targets with equal ids see the same objects
   * (e.g. `local:/abs/dir`, `memory:name`, `s3:bucket/prefix`). OmniQ shares its in-process
   * caches between components on the same id, and uses it in error messages.
   */
  readonly id: string;
  readonly capabilities: TargetCapabilities;
  /** `null` when the key does not exist. */
  read(key: string): Promise<StoredObject | null>;
  /** Unconditional write, published atomically (never half-written); returns the new version. */
  write(key: string, data: Uint8Array): Promise<string>;
  /** Creates the key only if absent: returns the version, or `null` when it already existed (a lost race, not an error). */
  writeIfAbsent(key: string, data: Uint8Array): Promise<string | null>;
  /** Replaces the key only if its version is still `version`: returns the new version, or `null` (lost race / gone). */
  writeIfVersion(key: string, data: Uint8Array, version: string): Promise<string | null>;
  /**
   * Deletes; with `version`, only if it still matches. `true` when this call deleted it.
   * Callers that must know whether they removed the object (claims) pass `version`: S3
   * cannot tell for an unconditional delete and may then return `true` for a missing key.
   */
  delete(key: string, version?: string): Promise<boolean>;
  /**
   * Deletes every key, unconditionally; keys already gone are fine. Optional: callers use
   * {@link deleteKeys}, which falls back to one `delete` per key.
   */
  deleteMany?(keys: readonly string[]): Promise<void>;
  /** Lists keys under a prefix in lexicographic order, paginated. */
  list(options: ListOptions): Promise<ListPage>;
  /**
   * Optional text fast path, for a target that can keep a string as it is (the memory
   * target: strings are immutable, so it needs neither an encoding nor a defensive copy).
   * Same semantics as `read`/`write`/`writeIfAbsent`/`writeIfVersion` with the object's
   * content as UTF-8 text; an object written one way reads the same the other way. Callers
   * write through {@link writeText} & co, which fall back to the byte methods.
   */
  readText?(key: string): Promise<{ text: string; version: string } | null>;
  writeText?(key: string, text: string): Promise<string>;
  writeTextIfAbsent?(key: string, text: string): Promise<string | null>;
  writeTextIfVersion?(key: string, text: string, version: string): Promise<string | null>;
  /**
   * Optional (local disk: a hard link): makes `to` a second name of the object now at `from`,
   * only if `to` is absent. Same content and same version as `from` at that moment, for one
   * directory entry instead of a new file. Returns that version, or `null` when `to` exists
   * or `from` does not. Later writes to either key replace only that key's object.
   */
  linkIfAbsent?(from: string, to: string): Promise<string | null>;
  close(): Promise<void>;
}

/** Most keys one `deleteMany` request takes (S3's `DeleteObjects` limit). */
export const DELETE_BATCH = 1000;

/**
 * Deletes keys unconditionally: through `deleteMany` in batches of {@link DELETE_BATCH} when
 * the target has it, else one `delete` per key.
 */
export async function deleteKeys(target: StorageTarget, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  if (typeof target.deleteMany === "function") {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const chunk = keys.slice(i, i + DELETE_BATCH);
      try {
        await target.deleteMany(chunk);
      } catch {
        // A service that refuses the batch call: one delete per key instead.
        for (const key of chunk) await target.delete(key);
      }
    }
    return;
  }
  for (const key of keys) await target.delete(key);
}

/** Every key under `prefix`, all pages, in order (with versions when asked: local disk). */
export async function listAll(
  target: StorageTarget,
  prefix: string,
  versions = false,
): Promise<ListEntry[]> {
  const out: ListEntry[] = [];
  let cursor: string | null = null;
  do {
    const page = await target.list({ prefix, cursor, limit: 1000, versions });
    out.push(...page.entries);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** `write` of UTF-8 text, through the target's text fast path when it has one. */
export function writeText(target: StorageTarget, key: string, text: string): Promise<string> {
  return target.writeText ? target.writeText(key, text) : target.write(key, utf8(text));
}

/** `writeIfAbsent` of UTF-8 text, through the target's text fast path when it has one. */
export function writeTextIfAbsent(
  target: StorageTarget,
  key: string,
  text: string,
): Promise<string | null> {
  return target.writeTextIfAbsent
    ? target.writeTextIfAbsent(key, text)
    : target.writeIfAbsent(key, utf8(text));
}

/** `writeIfVersion` of UTF-8 text, through the target's text fast path when it has one. */
export function writeTextIfVersion(
  target: StorageTarget,
  key: string,
  text: string,
  version: string,
): Promise<string | null> {
  return target.writeTextIfVersion
    ? target.writeTextIfVersion(key, text, version)
    : target.writeIfVersion(key, utf8(text), version);
}

/** UTF-8 bytes of a text (`Buffer.from` is markedly faster than `TextEncoder` for small strings). */
export const utf8 = (text: string): Uint8Array => Buffer.from(text, "utf8");
