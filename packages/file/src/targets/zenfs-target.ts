import { createHash } from "node:crypto";
import { posix } from "node:path";
import { ClosedError, ValidationError } from "@omniq/core";
import { assertValidKey, assertValidPrefix, isValidKey } from "./keys.js";
import { retryTransient, isTransientFsError } from "./retry.js";
import type {
  ListOptions,
  ListPage,
  StorageTarget,
  StoredObject,
  TargetCapabilities,
} from "./storage-target.js";

/**
 * The slice of a `fs.promises`-style API the adapter uses: `@zenfs/core`'s `fs.promises`
 * fits, and so does `node:fs/promises`.
 */
export interface ZenFsPromises {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  stat(path: string): Promise<{ isDirectory(): boolean }>;
  /**
   * When present, listings remove the empty directories they meet (pending files sit in
   * time-bucket directories that empty as their tasks finish).
   */
  rmdir?(path: string): Promise<void>;
}

export interface ZenFsTargetOptions {
  /** A `fs.promises`-style object, e.g. `fs.promises` from `@zenfs/core` after `configure()`. */
  fs: ZenFsPromises;
  /** Absolute directory inside that filesystem. @defaultValue "/omniq" */
  baseDir?: string;
}

const code = (err: unknown) => (err as { code?: string } | null)?.code;
const missing = (err: unknown) => code(err) === "ENOENT" || code(err) === "ENOTDIR";

/** Per filesystem object, one promise chain per path: conditional operations run one at a time. */
const chains = new WeakMap<object, Map<string, Promise<unknown>>>();

function hashVersion(data: Uint8Array): string {
  return createHash("sha1").update(data).digest("hex").slice(0, 24);
}

/**
 * An adapter that stores objects as files on any `@zenfs/core` filesystem (or anything with
 * the same `fs.promises` slice). Conditional writes are made atomic by serialising the
 * operations on each key inside this process, so the adapter is **single-process**
 * (`capabilities.crossProcess` is `false`): zenfs's own backends are in-memory or per-process.
 * Versions are content hashes (a swap to identical bytes is a no-op, so hashes are safe for
 * compare-and-swap).
 *
 * @example
 * ```ts
 * import { configureSingle, fs, InMemory } from "@zenfs/core";
 * await configureSingle({ backend: InMemory });
 * const target = new ZenFsTarget({ fs: fs.promises, baseDir: "/omniq" });
 * ```
 */
export class ZenFsTarget implements StorageTarget {
  readonly kind = "zenfs" as const;
  readonly id: string;
  readonly capabilities: TargetCapabilities = { crossProcess: false, orderedList: true };
  readonly #fs: ZenFsPromises;
  readonly #base: string;
  readonly #chains: Map<string, Promise<unknown>>;
  #closed = false;

  constructor(options: ZenFsTargetOptions) {
    if (!options?.fs || typeof options.fs.readFile !== "function") {
      throw new ValidationError("fs", "zenfs target: fs: expected a fs.promises-style object");
    }
    const base = posix.normalize(options.baseDir ?? "/omniq").replace(/\/+$/, "");
    if (!base.startsWith("/") || base.includes("..")) {
      throw new ValidationError(
        "baseDir",
        `zenfs target: baseDir ${JSON.stringify(options.baseDir)}: expected an absolute path`,
      );
    }
    this.#fs = options.fs;
    this.#base = base;
    this.id = `zenfs:${base}`;
    let map = chains.get(options.fs);
    if (!map) {
      map = new Map();
      chains.set(options.fs, map);
    }
    this.#chains = map;
  }

  #path(key: string): string {
    const path = posix.join(this.#base, assertValidKey(key));
    if (!path.startsWith(`${this.#base}/`)) {
      throw new ValidationError(
        "key",
        `zenfs target: key ${JSON.stringify(key)} resolves outside baseDir`,
      );
    }
    return path;
  }

  /** Runs `fn` after every earlier operation on `path` (in this process) has finished. */
  #serial<T>(what: string, key: string, fn: (path: string) => Promise<T>): Promise<T> {
    if (this.#closed)
      return Promise.reject(new ClosedError(`zenfs target ${this.id}: used after close()`));
    let path: string;
    try {
      path = this.#path(key);
    } catch (err) {
      return Promise.reject(err);
    }
    const prev = this.#chains.get(path) ?? Promise.resolve();
    const run = prev.then(
      () => retryTransient(`zenfs target: ${what} ${key}`, () => fn(path), isTransientFsError),
      () => retryTransient(`zenfs target: ${what} ${key}`, () => fn(path), isTransientFsError),
    );
    const tail = run.catch(() => undefined);
    this.#chains.set(path, tail);
    void tail.then(() => {
      if (this.#chains.get(path) === tail) this.#chains.delete(path);
    });
    return run;
  }

  async #readRaw(path: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await this.#fs.readFile(path));
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
  }

  async #writeRaw(path: string, data: Uint8Array): Promise<string> {
    // A listing removes empty directories, so one may go between `mkdir` and the write.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#fs.writeFile(path, data);
        return hashVersion(data);
      } catch (err) {
        if (!missing(err) || attempt >= 9) throw err;
        await this.#fs.mkdir(posix.dirname(path), { recursive: true }).catch((e: unknown) => {
          if (!missing(e)) throw e;
        });
      }
    }
  }

  read(key: string): Promise<StoredObject | null> {
    return this.#serial("read", key, async (path) => {
      const data = await this.#readRaw(path);
      return data ? { data, version: hashVersion(data) } : null;
    });
  }

  write(key: string, data: Uint8Array): Promise<string> {
    const copy = data.slice();
    return this.#serial("write", key, (path) => this.#writeRaw(path, copy));
  }

  writeIfAbsent(key: string, data: Uint8Array): Promise<string | null> {
    const copy = data.slice();
    return this.#serial("writeIfAbsent", key, async (path) => {
      if ((await this.#readRaw(path)) !== null) return null;
      return this.#writeRaw(path, copy);
    });
  }

  writeIfVersion(key: string, data: Uint8Array, version: string): Promise<string | null> {
    const copy = data.slice();
    return this.#serial("writeIfVersion", key, async (path) => {
      const cur = await this.#readRaw(path);
      if (cur === null || hashVersion(cur) !== version) return null;
      return this.#writeRaw(path, copy);
    });
  }

  delete(key: string, version?: string): Promise<boolean> {
    return this.#serial("delete", key, async (path) => {
      if (version !== undefined) {
        const cur = await this.#readRaw(path);
        if (cur === null || hashVersion(cur) !== version) return false;
      }
      try {
        await this.#fs.unlink(path);
        return true;
      } catch (err) {
        if (missing(err)) return false;
        throw err;
      }
    });
  }

  async list(options: ListOptions): Promise<ListPage> {
    if (this.#closed) throw new ClosedError(`zenfs target ${this.id}: used after close()`);
    const prefix = assertValidPrefix(options.prefix);
    const limit = options.limit ?? 1000;
    const after = options.cursor ?? options.startAfter ?? undefined;
    const slash = prefix.lastIndexOf("/");
    const dirKey = prefix.slice(0, slash + 1);
    const dir = dirKey === "" ? this.#base : this.#path(dirKey.slice(0, -1));
    const keys: string[] = [];
    const more = await retryTransient(
      `zenfs target: list ${prefix || "(all)"}`,
      () => this.#walk(dir, dirKey, prefix.slice(slash + 1), after, limit + 1, keys),
      isTransientFsError,
    );
    const cut = more || keys.length > limit;
    const page = cut ? keys.slice(0, limit) : keys;
    const entries = [];
    for (const key of page) {
      if (!options.versions) {
        entries.push({ key });
        continue;
      }
      const data = await this.#readRaw(this.#path(key));
      entries.push(data ? { key, version: hashVersion(data) } : { key });
    }
    return { entries, cursor: cut ? page[page.length - 1]! : null };
  }

  async #walk(
    dir: string,
    rel: string,
    namePrefix: string,
    after: string | undefined,
    max: number,
    out: string[],
    sub = false,
  ): Promise<boolean> {
    let names: string[];
    try {
      names = await this.#fs.readdir(dir);
    } catch (err) {
      if (missing(err)) return false;
      throw err;
    }
    if (sub && names.length === 0 && this.#fs.rmdir) {
      // An emptied subdirectory (see `ZenFsPromises.rmdir`); fails harmlessly when a file
      // arrived meanwhile.
      await this.#fs.rmdir(dir).catch(() => undefined);
      return false;
    }
    const items: { name: string; sortKey: string; isDir: boolean }[] = [];
    for (const name of names) {
      if (name.startsWith(".") || !name.startsWith(namePrefix)) continue;
      const isDir = (await this.#fs.stat(posix.join(dir, name))).isDirectory();
      items.push({ name, sortKey: isDir ? `${name}/` : name, isDir });
    }
    items.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const it of items) {
      const key = rel + it.sortKey;
      if (it.isDir) {
        if (after !== undefined && key < after && !after.startsWith(key)) continue;
        if (await this.#walk(posix.join(dir, it.name), key, "", after, max, out, true)) {
          return true;
        }
        continue;
      }
      if ((after !== undefined && key <= after) || !isValidKey(key)) continue;
      out.push(key);
      if (out.length >= max) return true;
    }
    return false;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
