import {
  type BigIntStats,
  closeSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { ClosedError, ValidationError } from "@omniq/core";
import { assertValidKey, assertValidPrefix } from "./keys.js";
import { code, statOrNull, unlinkIfPresent, versionOf } from "./local-fs.js";
import { LocalPool, type Staged } from "./local-pool.js";
import { FULL, walkKeys } from "./local-walk.js";
import { isTransientFsError, retryTransient } from "./retry.js";
import type {
  ListOptions,
  ListPage,
  StorageTarget,
  StoredObject,
  TargetCapabilities,
} from "./storage-target.js";

export interface LocalTargetOptions {
  /** The directory everything lives under; created when missing. */
  baseDir: string;
  /**
   * A compare-and-swap lock file older than this was left by a writer that died between two
   * system calls, and is broken. @defaultValue 10_000
   */
  lockStaleMs?: number;
  /** `fsync` each file before publishing it (durable against power loss, slower). @defaultValue false */
  fsync?: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A storage target on local disk through `node:fs`, safe across OS processes on one machine:
 *
 * - every write first fills a file of this process's pool (`<baseDir>/.pool/`), so no reader
 *   ever sees a half-written file; `write` publishes it with `rename`, `writeIfAbsent` with
 *   `link` (which fails with EEXIST when the key exists: exactly one creator wins);
 * - `writeIfVersion` and `delete(key, version)` take a per-key lock `.<name>.next`, made by
 *   `link`ing the new content there (EEXIST: someone holds it). Under the lock the current
 *   version (`ino:mtimeNs:size` from `stat`) is compared, and `writeIfVersion` renames the
 *   lock onto the key (publishing and releasing in one call). A lock older than
 *   `lockStaleMs` belonged to a writer that died mid-swap and is broken.
 * - `linkIfAbsent` gives a file a second key (a hard link): the queue's pending files are
 *   links of the task records, so an enqueue creates one file, not two.
 * - Inodes are reused: creating a file costs far more than rewriting one on many disks (and
 *   ~1 ms of kernel CPU on an ext4 without journal that recently deleted many files). A
 *   published file keeps its pool name as a second link (up to 4,096 keys, see {@link LocalPool}), so
 *   when its key is replaced or deleted the inode is free at once; other replaced or deleted
 *   files are linked or renamed into the pool. A pool file is reused only while it has no
 *   other name (link count 1), oldest first, and a reader checks that the file did not
 *   change while it read it (and reads again if it did).
 *
 * Versions rely on nanosecond file timestamps (ext4, xfs, btrfs, tmpfs, APFS). Not for
 * network filesystems. Calls use synchronous `node:fs` (5-70 µs each on a local disk, less
 * than a hop through libuv's thread pool, so the event loop waits only that long); only
 * creating new pool files, which can wait ~1 ms in the kernel, goes through the thread pool,
 * ahead of need and off the caller's path.
 *
 * @example
 * ```ts
 * const target = new LocalTarget({ baseDir: "./omniq-data" });
 * ```
 */
export class LocalTarget implements StorageTarget {
  readonly kind = "local" as const;
  readonly id: string;
  readonly capabilities: TargetCapabilities = {
    crossProcess: true,
    orderedList: true,
    cheapDelete: true,
  };
  readonly baseDir: string;
  readonly #lockStaleMs: number;
  readonly #dirs = new Set<string>();
  readonly #pool: LocalPool;
  #closed = false;

  constructor(options: LocalTargetOptions) {
    if (typeof options?.baseDir !== "string" || options.baseDir.length === 0) {
      throw new ValidationError("baseDir", "local target: baseDir: expected a non-empty path");
    }
    this.baseDir = resolve(options.baseDir);
    this.id = `local:${this.baseDir}`;
    this.#lockStaleMs = options.lockStaleMs ?? 10_000;
    this.#pool = new LocalPool(this.baseDir, options.fsync ?? false, {
      inDir: (path, fn) => this.#inDir(path, fn),
      ensureDir: (dir) => this.#ensureDir(dir),
    });
  }

  /** The absolute path of a key, checked to lie inside `baseDir`. */
  pathOf(key: string): string {
    assertValidKey(key);
    // A valid key has no empty, "." or ".." segment: on POSIX it is already a normal
    // relative path, so plain concatenation is what `resolve` would return.
    const path = sep === "/" ? `${this.baseDir}/${key}` : resolve(this.baseDir, ...key.split("/"));
    if (!path.startsWith(this.baseDir + sep)) {
      throw new ValidationError(
        "key",
        `local target: key ${JSON.stringify(key)} resolves outside baseDir`,
      );
    }
    return path;
  }

  #op<T>(what: string, key: string, fn: () => T | Promise<T>): Promise<T> {
    if (this.#closed)
      return Promise.reject(new ClosedError(`local target ${this.id}: used after close()`));
    return retryTransient(`local target: ${what} ${key}`, async () => fn(), isTransientFsError);
  }

  #ensureDir(dir: string): void {
    if (this.#dirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.#dirs.add(dir);
  }

  /** Runs `fn`; when it fails because the parent directory of `path` is missing, creates it and runs it again. */
  #inDir<T>(path: string, fn: () => T): T {
    // Listings (of any process) remove the empty directories they meet (see `walkKeys`), so the
    // directory may go again between our `mkdir` and `fn`, or during the `mkdir` itself (a
    // recursive `mkdir` that finds the directory there `stat`s it, and fails with ENOENT when
    // it went in between): a few more tries. `test/pending-buckets.test.ts` races four
    // processes on this.
    const dir = dirname(path);
    for (let attempt = 0; ; attempt++) {
      try {
        return fn();
      } catch (err) {
        if (code(err) !== "ENOENT" || attempt >= 9) throw err;
      }
      this.#dirs.delete(dir);
      try {
        this.#ensureDir(dir);
      } catch (err) {
        if (code(err) !== "ENOENT") throw err;
      }
    }
  }

  /**
   * Whether the lock `lock` (a link to `s`) is still ours. Nobody breaks a lock younger than
   * `lockStaleMs`, and the lock's mtime is not earlier than `s.at`: within half of that no
   * `stat` is needed.
   */
  #holds(lock: string, s: Staged): boolean {
    if (Date.now() - s.at < this.#lockStaleMs / 2) return true;
    return this.#stillOurs(lock, s);
  }

  async read(key: string): Promise<StoredObject | null> {
    const path = this.pathOf(key);
    return this.#op("read", key, () => {
      for (let attempt = 0; ; attempt++) {
        let fd: number;
        try {
          fd = openSync(path, "r");
        } catch (err) {
          if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return null;
          throw err;
        }
        try {
          const st = fstatSync(fd, { bigint: true });
          const size = Number(st.size);
          const data = new Uint8Array(size);
          let off = 0;
          while (off < size) {
            const n = readSync(fd, data, off, size - off, off);
            if (n === 0) break;
            off += n;
          }
          const after = fstatSync(fd, { bigint: true });
          // A file read while it left its key and was reused: read the key again.
          if (
            (after.mtimeNs !== st.mtimeNs || after.size !== st.size || off !== size) &&
            attempt < 20
          )
            continue;
          return { data: off === size ? data : data.subarray(0, off), version: versionOf(st) };
        } finally {
          closeSync(fd);
        }
      }
    });
  }

  async write(key: string, data: Uint8Array): Promise<string> {
    const path = this.pathOf(key);
    return this.#op("write", key, async () => {
      const s = await this.#pool.stage(data);
      try {
        if (this.#pool.shadowIno(path) === undefined) this.#pool.keepOld(path);
        this.#inDir(path, () => renameSync(s.path, path));
      } catch (err) {
        this.#pool.release(s.path);
        throw err;
      }
      this.#pool.shadowFree(path);
      return s.version;
    });
  }

  async writeIfAbsent(key: string, data: Uint8Array): Promise<string | null> {
    const path = this.pathOf(key);
    return this.#op("writeIfAbsent", key, async () => {
      const s = await this.#pool.stage(data);
      try {
        this.#inDir(path, () => linkSync(s.path, path));
      } catch (err) {
        this.#pool.release(s.path);
        if (code(err) === "EEXIST") return null;
        throw err;
      }
      // Published. The pool name stays as a second link: when the key is replaced or
      // deleted, its inode is already in the pool.
      this.#pool.published(path, s);
      return s.version;
    });
  }

  /**
   * A hard link: `to` becomes a second name of the file at `from` (one directory entry, no
   * new file), only if `to` is absent. Returns its version (the same as `from`'s), or `null`.
   * Writes never change a published file in place (they rename a new one onto the key), so
   * the two keys share content until one of them is replaced.
   */
  async linkIfAbsent(from: string, to: string): Promise<string | null> {
    const fromPath = this.pathOf(from);
    const toPath = this.pathOf(to);
    return this.#op("linkIfAbsent", to, () => {
      try {
        this.#inDir(toPath, () => linkSync(fromPath, toPath));
      } catch (err) {
        const c = code(err);
        if (c === "EEXIST" || c === "ENOENT" || c === "ENOTDIR") return null;
        throw err;
      }
      const st = statOrNull(toPath);
      return st ? versionOf(st) : null;
    });
  }

  async writeIfVersion(key: string, data: Uint8Array, version: string): Promise<string | null> {
    const path = this.pathOf(key);
    return this.#op("writeIfVersion", key, () =>
      this.#locked(path, data, version, (lock, s, cur) => {
        // Keep the replaced inode for reuse: it is in the pool already when we published it
        // (its pool name is a second link), else link it there (when nothing else names it).
        if (this.#pool.shadowIno(path) !== cur.ino && cur.nlink === 1n) this.#pool.keepOld(path);
        // Publishes the new content and releases the lock in one step. The staged pool name
        // stays as a second link of the new file.
        renameSync(lock, path);
        this.#pool.published(path, s);
        s.path = "";
        return s.version;
      }),
    );
  }

  async delete(key: string, version?: string): Promise<boolean> {
    const path = this.pathOf(key);
    return this.#op("delete", key, async () => {
      if (version === undefined) return this.#remove(path);
      const r = await this.#locked(path, new Uint8Array(0), version, () => this.#remove(path));
      return r ?? false;
    });
  }

  /** Removes the key: its inode goes to the pool (by its pool name, or renamed there). */
  #remove(path: string): boolean {
    if (this.#pool.shadowIno(path) !== undefined) {
      const removed = unlinkIfPresent(path);
      this.#pool.shadowFree(path);
      return removed;
    }
    return this.#pool.retire(path);
  }

  /** Deletes each key (one system call per key: local disk has no batch call). */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.delete(key);
  }

  #stillOurs(lock: string, s: Staged): boolean {
    try {
      return statSync(lock, { bigint: true }).ino === s.ino;
    } catch {
      return false;
    }
  }

  /**
   * Takes the key's lock (`.<name>.next`, a link to a staged file holding `data`), and when
   * the key's version is still `version` runs `fn` under it. `fn` may publish by renaming
   * the lock onto the key (which releases it) and then clears `s.path`; otherwise the lock
   * is removed here and the staged file goes back to the pool. `null` when the version does
   * not match (or the key or its directory is missing).
   */
  async #locked<T>(
    path: string,
    data: Uint8Array,
    version: string,
    fn: (lock: string, s: Staged, cur: BigIntStats) => T,
  ): Promise<T | null> {
    const lock = join(dirname(path), `.${basename(path)}.next`);
    let s = await this.#pool.stage(data);
    const started = Date.now();
    try {
      for (let wait = 0; ; wait++) {
        if (Date.now() - s.at > this.#lockStaleMs / 4) {
          // A lock's age is its file's mtime, i.e. when its content was staged: taken with
          // content staged before a long wait (behind a dead writer's lock, ~lockStaleMs), it
          // would look stale to the other waiters at once and be broken under its holder
          // (`test/stale-lock.test.ts`: rounds where every writer lost, or one failed with
          // ENOENT). Stage it again, so that a lock is fresh when taken.
          this.#pool.release(s.path);
          s = await this.#pool.stage(data);
        }
        try {
          linkSync(s.path, lock);
          break;
        } catch (err) {
          const c = code(err);
          if (c === "ENOENT" || c === "ENOTDIR") return null;
          if (c !== "EEXIST") throw err;
        }
        this.#breakIfStale(lock);
        if (Date.now() - started > this.#lockStaleMs * 3) {
          throw Object.assign(new Error("lock wait timed out"), { code: "ELOCKED" });
        }
        await sleep(wait < 5 ? 0 : Math.min(20, wait));
      }
      try {
        const cur = statOrNull(path);
        if (!cur || versionOf(cur) !== version || !this.#holds(lock, s)) return null;
        return fn(lock, s, cur);
      } finally {
        if (s.path !== "") {
          try {
            if (this.#holds(lock, s)) unlinkIfPresent(lock);
          } catch {
            // A lock we could not remove is broken by the next writer after lockStaleMs.
          }
        }
      }
    } finally {
      // Not published: back to the pool once the lock name is gone (link count 1).
      if (s.path !== "") this.#pool.release(s.path);
    }
  }

  /** Breaks a lock left by a writer that died: only when older than `lockStaleMs`. */
  #breakIfStale(lockPath: string): void {
    let st: BigIntStats;
    try {
      st = statSync(lockPath, { bigint: true });
    } catch {
      return;
    }
    if (Date.now() - Number(st.mtimeMs) <= this.#lockStaleMs) return;
    const aside = `${lockPath}.stale.${this.#pool.uniqueName()}`;
    try {
      renameSync(lockPath, aside);
    } catch {
      return;
    }
    try {
      const moved = statSync(aside, { bigint: true });
      if (moved.ino !== st.ino) {
        // A fresh lock was taken between our stat and rename: give it back.
        try {
          linkSync(aside, lockPath);
        } catch {}
      }
    } finally {
      unlinkIfPresent(aside);
    }
  }

  async list(options: ListOptions): Promise<ListPage> {
    const prefix = assertValidPrefix(options.prefix);
    const limit = options.limit ?? 1000;
    const after = options.cursor ?? options.startAfter ?? undefined;
    return this.#op("list", prefix || "(all)", () => {
      const slash = prefix.lastIndexOf("/");
      const dirKey = prefix.slice(0, slash + 1);
      const namePrefix = prefix.slice(slash + 1);
      const dir = dirKey === "" ? this.baseDir : this.pathOf(dirKey.slice(0, -1));
      const keys: string[] = [];
      const walk = {
        after,
        max: limit + 1,
        out: keys,
        onRemoved: (d: string) => this.#dirs.delete(d),
      };
      const more = walkKeys(dir, dirKey, namePrefix, walk) === FULL;
      const page = more || keys.length > limit ? keys.slice(0, limit) : keys;
      const entries = page.map((key) => {
        if (!options.versions) return { key };
        try {
          return { key, version: versionOf(statSync(this.pathOf(key), { bigint: true })) };
        } catch {
          return { key };
        }
      });
      const cut = more || keys.length > limit;
      return { entries, cursor: cut ? page[page.length - 1]! : null };
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool.close();
  }
}
