import { bandOf, orderKeyOf, parseOrderKey } from "../layout.js";
import type { StorageTarget } from "../targets/storage-target.js";

/** A pending file seen in a listing, with what its name tells. */
export interface Candidate {
  key: string;
  orderKey: string;
  id: string;
  runAt: number;
  expiresAt: number | null;
  hasDeps: boolean;
  version?: string;
  /** Tried (claimed, lost or skipped) since the last listing. */
  done: boolean;
}

/** Reads a candidate from a pending file's key; `null` for names that are not order keys. */
export function candidateOf(prefix: string, key: string, version?: string): Candidate | null {
  const orderKey = orderKeyOf(prefix, key);
  if (orderKey === null) return null;
  const p = parseOrderKey(orderKey);
  if (!p) return null;
  return {
    key,
    orderKey,
    id: p.id,
    runAt: p.runAt,
    expiresAt: p.expiresAt,
    hasDeps: p.hasDeps,
    ...(version !== undefined ? { version } : {}),
    done: false,
  };
}

/** At most this many `list` requests per listing. */
export const MAX_LISTS = 64;

/** A listing's place in its queue, to go on from. */
interface Resume {
  /** The last key listed. */
  key: string;
  cursor: string | null;
  startAfter: string | undefined;
}

/**
 * One queue's pending files as last listed, in dequeue order, consumed from the front.
 * A listing reads `pageSize` due candidates, and goes on while all it has are tasks with
 * dependencies (up to {@link MAX_LISTS} list requests), so a long run of tasks waiting on a
 * dependency does not hide the due tasks after it; a run longer than that is passed over
 * across listings (each one that stops inside it leaves a mark where it stopped, and the next
 * one, once its first page holds only waiting tasks, goes on from that mark), so no run of
 * waiting tasks, however long, hides a due task for good. When it meets a task that is not due
 * yet it skips the rest of that priority band with `startAfter` (every later task of the
 * band is later still), so future tasks never cost a read. Tasks enqueued in this process
 * are inserted in place, so they are claimable without a new listing.
 */
export class PendingPage {
  entries: Candidate[] = [];
  #pos = 0;
  listedAt = Number.NEGATIVE_INFINITY;
  /** The listing reached the end of the queue: everything due is in `entries`. */
  complete = false;
  /** Earliest `runAt` among tasks the listing skipped as not due. */
  nextDueAt = Number.POSITIVE_INFINITY;
  /** A candidate waits for its dependencies: a later claim must list again to retry it. */
  blocked = false;
  /**
   * When a listing last found the directory empty (no pending file, no lease), else -∞. The
   * expired-lease sweep skips listing the queue again soon after (an idle worker's poll and
   * its sweep would otherwise list the same empty directory every second each).
   */
  emptyAt = Number.NEGATIVE_INFINITY;
  /**
   * Where the last listing stopped inside a run of waiting tasks longer than it could list
   * (the last key it read, and where it would have listed next: a cursor, since not every
   * store can start a listing after a key in one request), or `undefined`.
   */
  #resume: Resume | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(
    readonly prefix: string,
    private readonly target: StorageTarget,
    private readonly pageSize: number,
    /** Keys known to hold a claimed (or otherwise taken) task: skipped without a read. */
    private readonly taken: { has(key: string): boolean } = new Set<string>(),
  ) {}

  /** Whether a claim at `now` should list again before trusting this page. */
  stale(now: number, maxAgeMs: number): boolean {
    return Date.now() - this.listedAt > maxAgeMs || now >= this.nextDueAt;
  }

  refresh(now: number): Promise<void> {
    this.#refreshing ??= this.#list(now).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #list(now: number): Promise<void> {
    const entries: Candidate[] = [];
    let nextDueAt = Number.POSITIVE_INFINITY;
    let complete = false;
    let startAfter: string | undefined;
    let cursor: string | null = null;
    let sawAny = false;
    // A page of nothing but tasks with dependencies is not full: a run of more than a page of
    // tasks waiting on a dependency would otherwise hide every due task behind it (they are
    // kept in the page, so each is still tried; a read of each is saved by the caches).
    let free = 0;
    let jumped = false;
    let lastKey: string | undefined;
    let resume: Resume | undefined;
    const listedAt = Date.now();
    for (let lists = 0; ; lists++) {
      if (lists === MAX_LISTS) {
        // Stopped inside a run of waiting tasks: the next listing goes on after it.
        if (lastKey !== undefined) resume = { key: lastKey, cursor, startAfter };
        break;
      }
      const page = await this.target.list({
        prefix: this.prefix,
        ...(cursor ? { cursor } : startAfter ? { startAfter } : {}),
        limit: this.pageSize,
      });
      if (page.entries.length > 0) {
        sawAny = true;
        lastKey = page.entries[page.entries.length - 1]!.key;
      }
      let skipBand: string | null = null;
      for (const e of page.entries) {
        if (this.taken.has(e.key)) continue;
        const c = candidateOf(this.prefix, e.key, e.version);
        if (!c) continue;
        if (c.runAt > now) {
          nextDueAt = Math.min(nextDueAt, c.runAt);
          skipBand = bandOf(c.orderKey);
          break;
        }
        entries.push(c);
        if (!c.hasDeps) free++;
      }
      // A full page with at least one candidate that waits on nothing is enough; only a page
      // of waiting tasks alone makes the listing go on (so the extra pages are paid only when
      // the head of the queue is all waiting tasks).
      if (entries.length >= this.pageSize && free > 0) {
        // The mark stays while the run of waiting tasks before it does (a later listing goes
        // on from it again); one that passed it no longer needs it.
        resume = jumped ? this.#resume : undefined;
        break;
      }
      if (skipBand !== null) {
        startAfter = `${this.prefix}${skipBand}~`;
        cursor = null;
      } else if (page.cursor === null) {
        complete = true;
        break;
      } else {
        cursor = page.cursor;
      }
      // Nothing but waiting tasks so far, and the last listing stopped further on inside
      // their run: go on from there (once; the tasks in between were met then).
      const mark = this.#resume;
      if (!jumped && free === 0 && mark && lastKey !== undefined && mark.key > lastKey) {
        jumped = true;
        // (Unless this listing skips a band of tasks not due yet that reaches past the mark.)
        if (cursor !== null || startAfter === undefined || mark.key > startAfter) {
          cursor = mark.cursor;
          startAfter = mark.startAfter;
        }
      }
    }
    this.#resume = resume;
    this.entries = entries;
    this.#pos = 0;
    this.blocked = false;
    this.complete = complete;
    this.nextDueAt = nextDueAt;
    this.listedAt = listedAt;
    this.emptyAt = complete && !sawAny ? listedAt : Number.NEGATIVE_INFINITY;
  }

  /**
   * The next untried candidate claimable at `now` (due, not expired). With `spread > 1`
   * one of the first `spread` such candidates is picked at random (less collision when
   * several processes claim from the same queue).
   */
  take(now: number, spread = 1): Candidate | null {
    const list = this.entries;
    let i = this.#pos;
    while (i < list.length && list[i]!.done) i++;
    this.#pos = i;
    if (i > 4096 && i * 2 > list.length) {
      this.entries = list.slice(i);
      this.#pos = 0;
      return this.take(now, spread);
    }
    const picks: Candidate[] = [];
    for (; i < list.length && picks.length < spread; i++) {
      const c = list[i]!;
      if (c.done || c.runAt > now || (c.expiresAt !== null && c.expiresAt <= now)) continue;
      picks.push(c);
    }
    const c = picks.length <= 1 ? picks[0] : picks[Math.floor(Math.random() * picks.length)];
    if (!c) return null;
    c.done = true;
    return c;
  }

  /** Adds a task enqueued (or returned to pending) in this process and due now. */
  insert(c: Candidate): void {
    this.emptyAt = Number.NEGATIVE_INFINITY;
    if (this.listedAt === Number.NEGATIVE_INFINITY) return;
    const list = this.entries;
    const last = list[list.length - 1];
    if (!this.complete && (!last || c.key > last.key)) return;
    let lo = this.#pos;
    let hi = list.length;
    if (!last || c.key > last.key) {
      list.push(c);
      return;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.key < c.key) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, c);
  }

  /** Notes a not-yet-due task enqueued here, so the page is listed again when it is due. */
  noteFuture(runAt: number): void {
    this.emptyAt = Number.NEGATIVE_INFINITY;
    this.nextDueAt = Math.min(this.nextDueAt, runAt);
  }
}
