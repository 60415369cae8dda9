import { randomBytes } from "node:crypto";
import {
  type BigIntStats,
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  openSync,
  open as openCallback,
  renameSync,
  writeSync,
} from "node:fs";
import { mkdir, open, unlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { BoundedMap } from "../internal/bounded-map.js";
import { code, unlinkIfPresent, versionOf } from "./local-fs.js";

const openAsync = promisify(openCallback) as (path: string, flags: string) => Promise<number>;

/**
 * Free inodes kept per target for reuse. Completing tasks frees more files than it uses (the
 * replaced record and lease files) while enqueueing needs new ones, and unlinking is as slow
 * as creating on many disks, so a generous pool pays.
 */
const POOL_MAX = 4096;
/** Below this many free inodes, new ones are created in the background. */
const POOL_LOW = 256;
const POOL_FILL = 512;
/** The pool's directory under `baseDir` (a dot name: listings skip it). */
export const POOL_DIR = ".pool";

/**
 * Keys whose file this target published while keeping its pool name as a second link, so
 * that when the key is replaced or deleted the old inode is already in the pool (no extra
 * `link` to keep it). Bounded: the oldest pool names are unlinked (the key keeps its file).
 */
const SHADOW_MAX = 4096;

/** A pool file filled with new content, ready to publish. */
export interface Staged {
  /** Its pool name; `""` once published by a rename (the name is gone). */
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

/** What the pool needs from its target: directory handling that survives removed directories. */
export interface PoolDirs {
  /** Runs `fn`; when it fails because the parent directory of `path` is missing, makes it and runs it again. */
  inDir<T>(path: string, fn: () => T): T;
  /** Makes `dir` (and its parents) unless known to exist. */
  ensureDir(dir: string): void;
}

/**
 * The local target's spare files (`<baseDir>/.pool/`, names unique to this process): every
 * write fills one and publishes it, and replaced or deleted files come back here, so that
 * inodes are reused. Creating a file costs far more than rewriting one on many disks (and
 * ~1 ms of kernel CPU on an ext4 without journal that recently deleted many files). A
 * published file keeps its pool name as a second link (up to {@link SHADOW_MAX} keys), so
 * when its key is replaced or deleted the inode is free at once. A pool file is reused only
 * while it has no other name (link count 1), oldest first. New files are made ahead of need,
 * several at a time through the thread pool, off the caller's path.
 */
export class LocalPool {
  readonly #dir: string;
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
  #dirMade = false;
  #refill: Promise<void> | undefined;
  /** Staged writes since the last refill started. */
  #demand = 0;
  #closed = false;

  constructor(
    baseDir: string,
    private readonly fsync: boolean,
    private readonly dirs: PoolDirs,
  ) {
    this.#dir = join(baseDir, POOL_DIR);
  }

  /** A new name unique to this process (for pool files, and for other scratch names). */
  uniqueName(): string {
    return `${this.#tag}-${++this.#names}`;
  }

  #name(): string {
    return join(this.#dir, this.uniqueName());
  }

  get #freeCount(): number {
    return this.#free.length - this.#freeHead;
  }

  /** Gives a pool file (link count 1, no key points at it) back for reuse. */
  release(path: string): void {
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

  /** The inode of the file this pool published at `path` and still has a second name of. */
  shadowIno(path: string): bigint | undefined {
    return this.#shadow.get(path)?.ino;
  }

  /**
   * After the file at `path` was replaced or deleted: its pool name (if we kept one) now
   * names a file no key points at, so it is free. The link count is checked again on reuse.
   */
  shadowFree(path: string): void {
    const old = this.#shadow.get(path);
    if (!old) return;
    this.#shadow.delete(path);
    this.release(old.pool);
  }

  /**
   * `s` now is the file at `path` (published by `link`, or by renaming a lock that linked
   * it): the inode it replaced is freed, and its pool name stays as a second link.
   */
  published(path: string, s: Staged): void {
    this.shadowFree(path);
    this.#shadow.set(path, { pool: s.path, ino: s.ino });
  }

  /** Moves the inode at `path` (if any) into the pool; `true` when there was one. */
  retire(path: string): boolean {
    const name = this.#name();
    try {
      this.dirs.inDir(name, () => renameSync(path, name));
    } catch (err) {
      if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return false;
      throw err;
    }
    this.release(name);
    return true;
  }

  /** Keeps the inode currently at `path` (about to be replaced) for reuse. */
  keepOld(path: string): void {
    const name = this.#name();
    try {
      this.dirs.inDir(name, () => linkSync(path, name));
      this.release(name);
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
    if (this.fsync) fsyncSync(fd);
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
      if (!this.#dirMade) {
        await mkdir(this.#dir, { recursive: true });
        this.#dirMade = true;
      }
      let made = this.#freeCount;
      const one = async (): Promise<void> => {
        while (!this.#closed && made < want) {
          made++;
          const path = this.#name();
          const fh = await open(path, "wx");
          await fh.close();
          this.release(path);
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
  async stage(data: Uint8Array): Promise<Staged> {
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
    const path = this.#name();
    let fd: number;
    try {
      fd = await openAsync(path, "wx");
    } catch (err) {
      if (code(err) !== "ENOENT") throw err;
      this.dirs.ensureDir(this.#dir);
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

  /** Stops refilling and unlinks the free files and the second names of published ones (the keys keep their files). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#refill;
    // Unlinks overlap well (like creates): several at a time.
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
