/**
 * A set of keys that lists in lexicographic order, for the in-memory targets. Inserts go to
 * an unsorted buffer merged on the next listing; removals are lazy (a listing skips keys
 * `live` says are gone and compacts now and then). Appending keys that sort last (the
 * common case: time-ordered keys) costs no sort at all. Removed keys at the front (the
 * common case for a queue: tasks leave in the order they are listed) are dropped by the
 * listing that meets them, so a listing never walks the same removed keys again.
 */
export class SortedKeys {
  #sorted: string[] = [];
  /** `#sorted[0..#head)` are removed keys already dropped from `#indexed`. */
  #head = 0;
  #buffer: string[] = [];
  /** Keys present in `#sorted` or `#buffer` (live or lazily removed). */
  readonly #indexed = new Set<string>();
  #removed = 0;

  constructor(private readonly live: (key: string) => boolean) {}

  add(key: string): void {
    if (this.#indexed.has(key)) return;
    this.#indexed.add(key);
    this.#buffer.push(key);
  }

  /** Note that a key was removed (it stays until compaction; listings skip it). */
  removed(): void {
    this.#removed++;
  }

  /** Keys with `prefix`, strictly after `after`, in order, at most `limit`; `more` when cut. */
  range(
    prefix: string,
    after: string | undefined,
    limit: number,
  ): { keys: string[]; more: boolean } {
    this.#settle();
    const keys: string[] = [];
    const from = after !== undefined && after >= prefix ? after : prefix;
    let i = lowerBound(this.#sorted, from, this.#head);
    if (after !== undefined && this.#sorted[i] === after) i++;
    for (; i < this.#sorted.length; i++) {
      const key = this.#sorted[i]!;
      if (!key.startsWith(prefix)) break;
      if (!this.live(key)) {
        if (i === this.#head) this.#dropHead(key);
        continue;
      }
      if (keys.length === limit) return { keys, more: true };
      keys.push(key);
    }
    return { keys, more: false };
  }

  #dropHead(key: string): void {
    this.#head++;
    this.#indexed.delete(key);
    if (this.#removed > 0) this.#removed--;
  }

  #settle(): void {
    if (this.#removed > 1024 && this.#removed * 4 > this.#sorted.length) this.#compact();
    else if (this.#head > 1024 && this.#head * 2 > this.#sorted.length) this.#trim();
    if (this.#buffer.length === 0) return;
    const buf = this.#buffer;
    this.#buffer = [];
    buf.sort();
    const last = this.#sorted[this.#sorted.length - 1];
    if (last === undefined || buf[0]! > last) {
      for (const k of buf) this.#sorted.push(k);
      return;
    }
    // The dropped head is left out (a key there may be in `buf` again).
    const merged: string[] = new Array(this.#sorted.length - this.#head + buf.length);
    let a = this.#head;
    this.#head = 0;
    let b = 0;
    let o = 0;
    const s = this.#sorted;
    while (a < s.length && b < buf.length) merged[o++] = s[a]! <= buf[b]! ? s[a++]! : buf[b++]!;
    while (a < s.length) merged[o++] = s[a++]!;
    while (b < buf.length) merged[o++] = buf[b++]!;
    this.#sorted = merged;
  }

  #trim(): void {
    this.#sorted = this.#sorted.slice(this.#head);
    this.#head = 0;
  }

  #compact(): void {
    const kept: string[] = [];
    const s = this.#sorted;
    for (let i = this.#head; i < s.length; i++) {
      const k = s[i]!;
      if (this.live(k)) kept.push(k);
      else this.#indexed.delete(k);
    }
    this.#head = 0;
    const buf: string[] = [];
    for (const k of this.#buffer) {
      if (this.live(k)) buf.push(k);
      else this.#indexed.delete(k);
    }
    this.#sorted = kept;
    this.#buffer = buf;
    this.#removed = 0;
  }
}

function lowerBound(arr: readonly string[], value: string, from: number): number {
  let lo = from;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
