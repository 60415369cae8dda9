import { randomBytes } from "node:crypto";
import {
  type BigIntStats,
  type Dirent,
  closeSync,
  fstatSync,
  ftruncateSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
  fsyncSync,
  open as openCallback,
} from "node:fs";
import { mkdir, open, unlink } from "node:fs/promises";
import { promisify } from "node:util";
import { basename, dirname, join, resolve, sep } from "node:path";
import { ClosedError, ValidationError } from "@omniq/core";
import { BoundedMap } from "../internal/bounded-map.js";
import { assertValidKey, assertValidPrefix, isValidKey } from "./keys.js";
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

const openAsync = promisify(openCallback) as (path: string, flags: string) => Promise<number>;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const code = (err: unknown) => (err as { code?: string } | null)?.code;

function versionOf(st: BigIntStats): string {
  return `${st.ino}:${st.mtimeNs}:${st.size}`;
}

/**
 * Free inodes kept per target for reuse. Completing tasks frees more files than it uses (the
 * replaced record and lease files) while enqueueing needs new ones, and unlinking is as slow
 * as creating on many disks, so a generous pool pays.
 */
const POOL_MAX = 4096;
/** Below this many free inodes, new ones are created in the background. */
const POOL_LOW = 256;
const POOL_FILL = 512;
const POOL_DIR = ".pool";

/**
 * Keys whose file this target published while keeping its pool name as a second link, so
 * that when the key is replaced or deleted the old inode is already in the pool (no extra
 * `link` to keep it). Bounded: the oldest pool names are unlinked (the key keeps its file).
 */
const SHADOW_MAX = 4096;

interface Staged {
  path: string;
  ino: bigint;
  version: string;
  /** `Date.now()` before the content was written (the file's mtime is not earlier). */
  at: number;
}

/** A pool name that is a second link to the file published at a key. */
interface Shadow {
  pool: string;
  ino: bigint;
}

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
 *   published file keeps its pool name as a second link (up to {@link SHADOW_MAX} keys), so
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
  readonly #fsync: boolean;
  readonly #dirs = new Set<string>();
  readonly #pool: string;
  readonly #tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  #names = 0;
  /** Free pool files (link count 1), reused oldest first (a queue from `#freeHead`). */
  #free: string[] = [];
  #freeHead = 0;
  /** Absolute key path → this process's pool name for the same inode (see {@link SHADOW_MAX}). */
  readonly #shadow = new BoundedMap<string, Shadow>(SHADOW_MAX, (_path, gone) => {
    // The key keeps its file; only the second name goes.
    unlinkIfPresent(gone.pool);
  });
  #poolDirMade = false;
  #refill: Promise<void> | undefined;
  /** Staged writes since the last refill started. */
  #demand = 0;
  #closed = false;

  constructor(options: LocalTargetOptions) {
    if (typeof options?.baseDir !== "string" || options.baseDir.length === 0) {
      throw new ValidationError("baseDir", "local target: baseDir: expected a non-empty path");
    }
    this.baseDir = resolve(options.baseDir);
    this.id = `local:${this.baseDir}`;
    this.#pool = join(this.baseDir, POOL_DIR);
    this.#lockStaleMs = options.lockStaleMs ?? 10_000;
    this.#fsync = options.fsync ?? false;
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
    // Listings (of any process) remove the empty directories they meet (see `#walk`), so the
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

  #poolName(): string {
    return join(this.#pool, `${this.#tag}-${++this.#names}`);
  }

  get #freeCount(): number {
    return this.#free.length - this.#freeHead;
  }

  /** Gives a pool file (link count 1, no key points at it) back for reuse. */
  #release(path: string): void {
    if (!this.#closed && this.#freeCount < POOL_MAX) this.#free.push(path);
    else unlinkIfPresent(path);
  }

  /** The oldest free pool file (reused last-released-last: far from its previous use). */
  #takeFree(): string | undefined {
    if (this.#freeHead >= this.#free.length) return undefined;
    const path = this.#free[this.#freeHead++]!;
    if (this.#freeHead > 1024 && this.#freeHead * 2 > this.#free.length) {
      this.#free = this.#free.slice(this.#freeHead);
      this.#freeHead = 0;
    }
    return path;
  }

  /**
   * After the file at `path` was replaced or deleted: its pool name (if we kept one) now
   * names a file no key points at, so it is free. The link count is checked again on reuse.
   */
  #shadowFree(path: string): void {
    const old = this.#shadow.get(path);
    if (!old) return;
    this.#shadow.delete(path);
    this.#release(old.pool);
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

  /** Moves the inode at `path` (if any) into the pool; `true` when there was one. */
  #retire(path: string): boolean {
    const name = this.#poolName();
    try {
      this.#inDir(name, () => renameSync(path, name));
    } catch (err) {
      if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return false;
      throw err;
    }
    this.#release(name);
    return true;
  }

  /** Keeps the inode currently at `path` (about to be replaced) for reuse. */
  #keepOld(path: string): void {
    const name = this.#poolName();
    try {
      this.#inDir(name, () => linkSync(path, name));
      this.#release(name);
    } catch {
      // Nothing there (or a filesystem without hard links): nothing to keep.
    }
  }

  /** Writes `data` over a file of `oldSize` bytes; returns its stat (the version). */
  #fill(fd: number, data: Uint8Array, oldSize: bigint): BigIntStats {
    let off = 0;
    while (off < data.byteLength) off += writeSync(fd, data, off, data.byteLength - off, off);
    // Only a shorter content needs a truncate; an empty one truncates anyway, so that the
    // file's mtime is now (a lock's age is its mtime).
    if (oldSize > BigInt(data.byteLength) || data.byteLength === 0) {
      ftruncateSync(fd, data.byteLength);
    }
    if (this.#fsync) fsyncSync(fd);
    return fstatSync(fd, { bigint: true });
  }

  /**
   * Creating a file is slow on many disks (it waits on the journal) but overlaps well, so new
   * pool files are made ahead of need, several at a time, off the caller's path.
   */
  #topUp(): void {
    this.#demand++;
    if (this.#refill || this.#closed || this.#freeCount >= POOL_LOW) return;
    // Make as many as were asked for lately (x4, at least 16, at most POOL_FILL): a target
    // used for a few writes does not keep creating files long after.
    const want = Math.min(POOL_FILL, this.#freeCount + Math.max(16, 4 * this.#demand));
    this.#demand = 0;
    this.#refill = (async () => {
      if (!this.#poolDirMade) {
        await mkdir(this.#pool, { recursive: true });
        this.#poolDirMade = true;
      }
      let made = this.#freeCount;
      const one = async (): Promise<void> => {
        while (!this.#closed && made < want) {
          made++;
          const path = this.#poolName();
          const fh = await open(path, "wx");
          await fh.close();
          this.#release(path);
        }
      };
      await Promise.all(Array.from({ length: 16 }, one));
    })()
      .catch(() => undefined)
      .finally(() => {
        this.#refill = undefined;
      });
  }

  /** A pool file holding `data`: a reused inode when one is free, else a new file. */
  async #stage(data: Uint8Array): Promise<Staged> {
    this.#topUp();
    for (let path = this.#takeFree(); path !== undefined; path = this.#takeFree()) {
      let fd: number;
      try {
        fd = openSync(path, "r+");
      } catch {
        continue;
      }
      try {
        const before = fstatSync(fd, { bigint: true });
        if (before.nlink !== 1n) {
          // Another name points at it (a key, a lock or another process's pool): not ours
          // to reuse.
          closeSync(fd);
          unlinkIfPresent(path);
          continue;
        }
        const at = Date.now();
        const st = this.#fill(fd, data, before.size);
        closeSync(fd);
        return { path, ino: st.ino, version: versionOf(st), at };
      } catch (err) {
        try {
          closeSync(fd);
        } catch {}
        unlinkIfPresent(path);
        throw err;
      }
    }
    // No free inode: create one (asynchronously, so concurrent callers overlap the wait).
    const path = this.#poolName();
    let fd: number;
    try {
      fd = await openAsync(path, "wx");
    } catch (err) {
      if (code(err) !== "ENOENT") throw err;
      this.#ensureDir(this.#pool);
      fd = await openAsync(path, "wx");
    }
    try {
      const at = Date.now();
      const st = this.#fill(fd, data, 0n);
      return { path, ino: st.ino, version: versionOf(st), at };
    } catch (err) {
      unlinkIfPresent(path);
      throw err;
    } finally {
      closeSync(fd);
    }
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
      const s = await this.#stage(data);
      try {
        if (!this.#shadow.has(path)) this.#keepOld(path);
        this.#inDir(path, () => renameSync(s.path, path));
      } catch (err) {
        this.#release(s.path);
        throw err;
      }
      this.#shadowFree(path);
      return s.version;
    });
  }

  async writeIfAbsent(key: string, data: Uint8Array): Promise<string | null> {
    const path = this.pathOf(key);
    return this.#op("writeIfAbsent", key, async () => {
      const s = await this.#stage(data);
      try {
        this.#inDir(path, () => linkSync(s.path, path));
      } catch (err) {
        this.#release(s.path);
        if (code(err) === "EEXIST") return null;
        throw err;
      }
      // Published. The pool name stays as a second link: when the key is replaced or
      // deleted, its inode is already in the pool.
      this.#shadowFree(path);
      this.#shadow.set(path, { pool: s.path, ino: s.ino });
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
        const shadow = this.#shadow.get(path);
        // Keep the replaced inode for reuse: it is in the pool already when we published it
        // (its pool name is a second link), else link it there (when nothing else names it).
        if ((!shadow || shadow.ino !== cur.ino) && cur.nlink === 1n) this.#keepOld(path);
        // Publishes the new content and releases the lock in one step. The staged pool name
        // stays as a second link of the new file.
        renameSync(lock, path);
        this.#shadowFree(path);
        this.#shadow.set(path, { pool: s.path, ino: s.ino });
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
    if (this.#shadow.has(path)) {
      const removed = unlinkIfPresent(path);
      this.#shadowFree(path);
      return removed;
    }
    return this.#retire(path);
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
    const s = await this.#stage(data);
    const started = Date.now();
    try {
      for (let wait = 0; ; wait++) {
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
      if (s.path !== "") this.#release(s.path);
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
    const aside = `${lockPath}.stale.${this.#tag}.${++this.#names}`;
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
      const more = this.#walk(dir, dirKey, namePrefix, after, limit + 1, keys, false) === FULL;
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

  /**
   * Collects keys in lexicographic order; returns `FULL` once `max` are collected. A
   * subdirectory met on the way that is empty, or whose subdirectories the walk all removed,
   * is removed (`REMOVED`): object stores have no directories, pending files sit in
   * time-bucket directories that empty as their tasks finish, and a listing would otherwise
   * read every emptied one before the first task. Removing is safe against
   * a writer putting a file there at the same moment: `rmdir` fails on a directory that is
   * not empty, and a writer that finds its directory gone creates it again (`#inDir`).
   */
  #walk(
    dir: string,
    rel: string,
    namePrefix: string,
    after: string | undefined,
    max: number,
    out: string[],
    sub: boolean,
  ): Walked {
    let dirents: Dirent[];
    try {
      dirents = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return PASSED;
      throw err;
    }
    if (sub && dirents.length === 0) return this.#removeDir(dir);
    const items: { name: string; sortKey: string; isDir: boolean }[] = [];
    // Subdirectories of this one that the walk removed (it emptied when they did).
    let removed = 0;
    for (const d of dirents) {
      const name = d.name;
      if (name.charCodeAt(0) === 46 /* "." */ || !name.startsWith(namePrefix)) continue;
      const isDir = d.isDirectory();
      items.push({ name, sortKey: isDir ? `${name}/` : name, isDir });
    }
    items.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const it of items) {
      const key = rel + it.sortKey;
      if (it.isDir) {
        if (after !== undefined && key < after && !after.startsWith(key)) continue;
        const r = this.#walk(join(dir, it.name), key, "", after, max, out, true);
        if (r === FULL) return FULL;
        if (r === REMOVED) removed++;
        continue;
      }
      if (after !== undefined && key <= after) continue;
      if (!isValidKey(key)) continue;
      out.push(key);
      if (out.length >= max) return FULL;
    }
    return sub && removed > 0 && removed === dirents.length ? this.#removeDir(dir) : PASSED;
  }

  /** Removes an empty directory (best effort: one that is not empty, or gone, stays as is). */
  #removeDir(dir: string): Walked {
    try {
      rmdirSync(dir);
    } catch {
      return PASSED;
    }
    this.#dirs.delete(dir);
    return REMOVED;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#refill;
    // Unlinks overlap well (like creates): several at a time. Second names of published
    // files go too (the keys keep their files).
    const free = this.#free.slice(this.#freeHead);
    this.#free = [];
    this.#freeHead = 0;
    for (const shadow of this.#shadow.values()) free.push(shadow.pool);
    this.#shadow.clear();
    const one = async (): Promise<void> => {
      for (let path = free.pop(); path !== undefined; path = free.pop()) {
        await unlink(path).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: 16 }, one));
  }
}

/** What `#walk` did: collected `max` keys, passed the directory, or passed and removed it. */
type Walked = 0 | 1 | 2;
const PASSED: Walked = 0;
const FULL: Walked = 1;
const REMOVED: Walked = 2;

function unlinkIfPresent(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return false;
    throw err;
  }
}

function statOrNull(path: string): BigIntStats | null {
  try {
    return statSync(path, { bigint: true });
  } catch (err) {
    if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return null;
    throw err;
  }
}
