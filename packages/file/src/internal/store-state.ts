import { BoundedMap } from "./bounded-map.js";
import type { PendingPage } from "./pending-page.js";
import type { RawTask } from "./task-record.js";

/** A task this process claimed (or last changed while running): enough to act without reading. */
export interface HeldTask {
  queue: string;
  /** Order key of the incarnation (names its file in `pending/`, the lease while running). */
  orderKey: string;
  /** Version of `tasks/<id>.json` the lease is based on. */
  base: string;
  /** Version of the lease (the incarnation's file once claimed). */
  leaseVersion: string;
  raw: RawTask;
  /** This process claimed it (so its pending file is already gone). */
  claimedHere: boolean;
}

/** A pending file's content as this process wrote it. */
export interface KnownBody {
  /** Version of `tasks/<id>.json` the pending file points at. */
  base: string;
  raw: RawTask;
  /** Version of the pending file itself (a claim deletes it conditionally). */
  version: string;
}

/**
 * What every component of this process working on one store (same target id) shares:
 * the pending pages of each queue (so an enqueue is claimable at once by any queue object
 * here), the bodies of tasks enqueued here (a claim needs no read), the tasks held here,
 * and small caches. Nothing in it is needed for correctness: it only saves requests.
 */
export class StoreState {
  refs = 0;
  readonly pages = new Map<string, PendingPage>();
  readonly bodies = new BoundedMap<string, KnownBody>(50_000);
  readonly held = new BoundedMap<string, HeldTask>(100_000);
  /**
   * Pending-file keys seen holding something other than a pending task (claimed, leaving
   * pending, stale): such a key never holds a pending task again, so claimers skip it.
   */
  readonly taken = new BoundedMap<string, true>(200_000);
  readonly queues = new Set<string>();
  /** Queues this process claimed from (swept at once, whatever the markers' listing says). */
  readonly served = new Set<string>();
  /** The queue markers' last listing (`knownQueues`), with its time. */
  queuesListed: { at: number; names: ReadonlySet<string> } = {
    at: Number.NEGATIVE_INFINITY,
    names: new Set(),
  };
  /**
   * Per queue, the last listing of its TTL markers: when, and when the first marker not yet
   * due then falls due (+∞: none). The TTL sweep skips the queue until then, for 10 s at most
   * (another process may add an earlier one); an enqueue here with a TTL drops the entry.
   */
  readonly ttlSeen = new Map<string, { at: number; nextDue: number }>();
  /**
   * Per queue, where the expired-lease sweep's pass through `pending/` goes on next time (a
   * list cursor); absent: after the first page.
   */
  readonly sweepCursor = new Map<string, string>();
  /** Event hour markers known to exist (`<queue>/<hour>`). */
  readonly hours = new Set<string>();
  readonly succeeded = new BoundedMap<string, true>(100_000);
  /** Dependencies last read as not done (or being read), with when: see `TaskStore`. */
  readonly depChecks = new BoundedMap<string, { at: number; done: Promise<boolean> }>(10_000);
  /**
   * Lease files this process made stale (their task finished here) and has queued for
   * deletion: the expired-lease sweep skips them instead of reading them. Removed once the
   * deletion was tried, so a file whose deletion failed is left to the sweep.
   */
  readonly discarding = new Set<string>();
  /**
   * Lease files this process deleted after their task finished here. An expired-lease sweep
   * whose listing was taken before the deletion skips them instead of reading a file that is
   * gone (on an object store a GET each). Such a key never holds a task again (a task that
   * returns to pending gets a new key), so skipping it can never hide a live lease. It only
   * needs to cover what finishes during one sweep, hence the smaller bound.
   */
  readonly gone = new BoundedMap<string, true>(10_000);
  /**
   * Lease files of other processes by key → the `leaseUntil` (ms) last read in them. Leases
   * only move forward (a heartbeat extends one; anything else leaves running and makes the
   * file stale), so the expired-lease sweep need not read such a file again before then, however
   * often its heartbeats change its version.
   */
  readonly leaseSeen = new BoundedMap<string, number>(100_000);
  /** Parsed files by key, valid while the version matches (scans). */
  readonly parsed = new BoundedMap<string, { version: string; value: unknown }>(50_000);
}

const states = new Map<string, StoreState>();

/** Takes a reference on the shared state of store `id`. */
export function acquireState(id: string): StoreState {
  let s = states.get(id);
  if (!s) {
    s = new StoreState();
    states.set(id, s);
  }
  s.refs++;
  return s;
}

/** Drops a reference; the state is forgotten when nobody uses the store any more. */
export function releaseState(id: string, state: StoreState): void {
  if (--state.refs <= 0 && states.get(id) === state) states.delete(id);
}
