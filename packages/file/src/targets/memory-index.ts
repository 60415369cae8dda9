import { SortedKeys } from "./sorted-keys.js";

/** A directory's keys, and how many of them are live. */
interface DirKeys {
  keys: SortedKeys;
  live: number;
}

/** The directory of a key: the key up to its last `/` (`""` at the top). */
export const dirOf = (key: string) => key.slice(0, key.lastIndexOf("/") + 1);

/** Directories read from the directory index at a time. */
const DIR_CHUNK = 32;

/**
 * The ordered key index of a memory store: each directory's keys in a {@link SortedKeys}
 * (a listing skips other directories' churn), and the directories that hold keys in another,
 * so that a listing walks the directories under its prefix in order and stops once its page
 * is full. A directory is forgotten when its last key goes.
 *
 * Before, a listing took up to `limit` keys from every directory under its prefix and sorted
 * them all, and emptied directories were never forgotten: listing 1,000 of 50,000 pending
 * tasks spread over 20 time buckets took 8 ms (every bucket's first 1,000 keys, then a sort),
 * and a long-running store kept one index per bucket it ever had.
 */
export class MemoryIndex {
  readonly #dirs = new Map<string, DirKeys>();
  readonly #dirNames = new SortedKeys((dir) => this.#dirs.has(dir));

  /** @param live whether a key is in the store (the key indexes drop the others lazily). */
  constructor(private readonly live: (key: string) => boolean) {}

  /** Notes a key that was not in the store before. */
  added(key: string): void {
    const dir = dirOf(key);
    let d = this.#dirs.get(dir);
    if (!d) {
      d = { keys: new SortedKeys(this.live), live: 0 };
      this.#dirs.set(dir, d);
      this.#dirNames.add(dir);
    }
    d.keys.add(key);
    d.live++;
  }

  /** Notes a key that left the store. */
  removed(key: string): void {
    const dir = dirOf(key);
    const d = this.#dirs.get(dir);
    if (!d) return;
    if (--d.live > 0) {
      d.keys.removed();
      return;
    }
    this.#dirs.delete(dir);
    this.#dirNames.removed();
  }

  /** How many directories hold keys (for tests). */
  get dirCount(): number {
    return this.#dirs.size;
  }

  /** How many keys the last listing took from directories (for tests). */
  lastListRead = 0;

  /** Keys with `prefix`, strictly after `after`, in order, at most `limit`; `more` when cut. */
  list(
    prefix: string,
    after: string | undefined,
    limit: number,
  ): { keys: string[]; more: boolean } {
    const keys: string[] = [];
    let more = false;
    this.lastListRead = 0;
    // A cluster is a directory and the ones inside it: their keys interleave, so they are
    // merged; keys of separate clusters do not, so clusters are taken in order.
    let cluster: string[] = [];
    const flush = (): boolean => {
      const want = limit - keys.length;
      const part: string[] = [];
      for (const dir of cluster) {
        const r = this.#dirs.get(dir)?.keys.range(prefix, after, want);
        if (!r) continue;
        this.lastListRead += r.keys.length;
        for (const k of r.keys) part.push(k);
        more ||= r.more;
      }
      cluster = [];
      if (part.length > 1) part.sort();
      if (part.length > want) {
        part.length = want;
        more = true;
      }
      for (const k of part) keys.push(k);
      return more;
    };
    const visit = (dir: string): boolean => {
      if (cluster.length > 0 && !dir.startsWith(cluster[0]!)) {
        if (flush()) return true;
      }
      cluster.push(dir);
      return false;
    };
    for (const dir of this.#heads(prefix, after)) if (visit(dir)) return { keys, more };
    // Then the directories under the prefix after `after` (those before it hold only keys
    // before it, but for the heads, which contain `after`).
    let from = after !== undefined && after >= prefix ? after : undefined;
    for (;;) {
      const { keys: dirs, more: moreDirs } = this.#dirNames.range(prefix, from, DIR_CHUNK);
      for (const dir of dirs) if (visit(dir)) return { keys, more };
      if (!moreDirs || dirs.length === 0) break;
      from = dirs[dirs.length - 1];
    }
    if (cluster.length > 0) flush();
    return { keys, more };
  }

  /**
   * Directories the walk over names under the prefix does not reach that can hold keys with
   * `prefix` after `after`: the prefix's own directory (when its name does not start with the
   * prefix, or lies before `after`), and those `after` lies in; in order, each inside the one
   * before.
   */
  #heads(prefix: string, after: string | undefined): string[] {
    const pdir = dirOf(prefix);
    const heads: string[] = [];
    if (after === undefined || after < prefix) {
      if (this.#dirs.has(pdir) && !pdir.startsWith(prefix)) heads.push(pdir);
      return heads;
    }
    if (this.#dirs.has(pdir)) heads.push(pdir);
    for (let i = after.indexOf("/", pdir.length); i >= 0; i = after.indexOf("/", i + 1)) {
      const dir = after.slice(0, i + 1);
      if (dir.startsWith(prefix) && this.#dirs.has(dir)) heads.push(dir);
    }
    return heads;
  }
}
