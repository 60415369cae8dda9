import { type FSWatcher, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { BackendError } from "@omniq/core";

/**
 * Tells listeners when a SQLite database file may have been written by any process: a commit
 * appends to its `-wal` file, a checkpoint writes the database file. One `fs.watch` (inotify
 * on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows) on the database's directory,
 * filtered to those two names, so the watch survives the `-wal` file being created, deleted
 * or replaced (a watch on the file itself would follow a deleted inode and go silent).
 * Events arriving in one event-loop turn make one call per listener.
 *
 * Works on local filesystems only: network filesystems (NFS, SMB, most FUSE mounts) do not
 * report other machines' writes, and some container bind mounts drop events. Callers keep
 * polling as the fallback; a notification can be spurious (this process's own writes
 * trigger it too) or missing.
 *
 * @internal Used by `AsyncSQLiteQueue.watchChanges`.
 */
export class ChangeWatcher {
  readonly #dir: string;
  readonly #names: ReadonlySet<string>;
  readonly #listeners = new Set<() => void>();
  #watcher: FSWatcher | undefined;
  #scheduled = false;

  /** `path`: the database file (relative paths resolve against the working directory now). */
  constructor(path: string) {
    const abs = resolve(path);
    this.#dir = dirname(abs);
    const base = basename(abs);
    this.#names = new Set([base, `${base}-wal`]);
  }

  /** Watchers currently subscribed. */
  get size(): number {
    return this.#listeners.size;
  }

  /**
   * Calls `listener` after the database may have changed; returns the unsubscribe. The first
   * subscription starts the watch, the last unsubscribe stops it.
   *
   * @throws BackendError when the directory cannot be watched (missing, or out of inotify watches).
   */
  subscribe(listener: () => void): () => void {
    if (!this.#watcher) this.#watcher = this.#start();
    this.#listeners.add(listener);
    return () => {
      if (!this.#listeners.delete(listener)) return;
      if (this.#listeners.size === 0) this.close();
    };
  }

  /** Stops watching and drops every listener. */
  close(): void {
    this.#listeners.clear();
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #start(): FSWatcher {
    let watcher: FSWatcher;
    try {
      // persistent: false — watching never keeps the process alive.
      watcher = watch(this.#dir, { persistent: false }, (_type, filename) => {
        // Some platforms omit the name: treat that as a possible change.
        if (filename === null || this.#names.has(String(filename))) this.#schedule();
      });
    } catch (err) {
      throw new BackendError(
        `sqlite: cannot watch ${this.#dir} for changes by other processes (${(err as Error).message}); workers fall back to polling`,
        { cause: err },
      );
    }
    // A watch that breaks (directory removed, ...) just ends: polling still finds the work.
    watcher.on("error", () => {
      if (this.#watcher === watcher) this.#watcher = undefined;
      watcher.close();
    });
    return watcher;
  }

  /** One call per listener per event-loop turn, however many events arrived in it. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      for (const listener of [...this.#listeners]) {
        try {
          listener();
        } catch {
          // A listener's failure is its own; the others still hear of the change.
        }
      }
    });
  }
}
