import {
  type ListOptions,
  type Page,
  type PurgeOptions,
  type Task,
  type TaskFilter,
  type TaskStatus,
  ValidationError,
} from "@omniq/core";
import { layout, parseTime17 } from "../layout.js";
import { type ListEntry, type ListPage, listAll } from "../targets/storage-target.js";
import { BLOCKED, checkEnvelope, type Envelope, envelopeOf } from "./envelope.js";
import { inLanes } from "./lanes.js";
import { candidateOf } from "./pending-page.js";
import { halfDone, type TaskStore } from "./task-store.js";
import { checkRawTask, parseIso, type RawTask, toTask } from "./task-record.js";

/** Reads a listed file through the parsed-file cache (valid while its version matches). */
async function readCached<T>(
  store: TaskStore,
  entry: ListEntry,
  check: (v: unknown) => T,
): Promise<{ value: T; version: string } | null> {
  const cache = store.state.parsed;
  if (entry.version !== undefined) {
    const hit = cache.get(entry.key);
    if (hit && hit.version === entry.version)
      return { value: hit.value as T, version: hit.version };
  }
  const got = await store.json.get(entry.key, check);
  if (got) cache.set(entry.key, { version: got.version, value: got.value });
  else cache.delete(entry.key);
  return got;
}

/**
 * How long a listing of the queue markers serves (ms): the maintenance sweep asks for the
 * queues twice a second per worker; queues registered or claimed from in this process are known
 * at once, and one made by another process is swept (expired leases, TTLs) at most this much
 * later.
 */
const QUEUES_LISTING_MS = 10_000;

/** Queue names known to the store (registered by the first enqueue into each). */
export async function knownQueues(store: TaskStore): Promise<string[]> {
  const st = store.state;
  const now = Date.now();
  if (now - st.queuesListed.at >= QUEUES_LISTING_MS) {
    const names = new Set<string>();
    for (const e of await listAll(store.target, layout.queueMarkers)) {
      names.add(e.key.slice(layout.queueMarkers.length));
    }
    st.queuesListed = { at: now, names };
  }
  return [...new Set([...st.queues, ...st.served, ...st.queuesListed.names])].sort();
}

interface Scanned {
  raw: RawTask;
  /** Version of the task file (deletes are conditional on it). */
  version: string;
}

/** Every task in its current state (running tasks read from their lease files in `pending/`). */
export async function scanAll(store: TaskStore): Promise<Scanned[]> {
  const lanes = store.options.lanes;
  const files = (await listAll(store.target, layout.tasks, true)).filter((e) =>
    e.key.endsWith(".json"),
  );
  // Reads overlap (`requestConcurrency` at a time): on an object store each is a round trip.
  const read = await inLanes(files, lanes, (e) => readCached(store, e, checkRawTask));
  const records: Scanned[] = [];
  for (const got of read) if (got) records.push({ raw: got.value, version: got.version });
  const leases = new Map<string, Map<string, ListEntry>>();
  const toRead: Array<{ r: Scanned; entry: ListEntry }> = [];
  for (const r of records) {
    const raw = r.raw;
    if (raw.status !== "pending" || !raw.key) continue;
    let byKey = leases.get(raw.queue);
    if (!byKey) {
      byKey = new Map();
      const prefix = layout.pendingPrefix(raw.queue);
      for (const e of await listAll(store.target, prefix, true)) byKey.set(e.key, e);
      leases.set(raw.queue, byKey);
    }
    const key = layout.pending(raw.queue, raw.key);
    const entry = byKey.get(key);
    if (!entry) continue;
    // A file this process wrote and still knows as pending needs no read.
    const known = store.state.bodies.get(key);
    if (known && entry.version !== undefined && known.version === entry.version) continue;
    toRead.push({ r, entry });
  }
  await inLanes(toRead, lanes, async ({ r, entry }) => {
    const lease = await readCached<Envelope>(store, entry, checkEnvelope);
    if (!lease) return;
    const env = envelopeOf(lease);
    if (env.base === r.version) r.raw = env.task;
  });
  return records;
}

function matches(raw: RawTask, f: TaskFilter): boolean {
  if (f.queue !== undefined && raw.queue !== f.queue) return false;
  if (f.statuses !== undefined && !f.statuses.includes(raw.status)) return false;
  if (f.name !== undefined && raw.name !== f.name) return false;
  if (f.dependsOn !== undefined && !raw.dependsOn.includes(f.dependsOn)) return false;
  if (f.scheduleId !== undefined && raw.scheduleId !== f.scheduleId) return false;
  return true;
}

const CURSOR = /^([0-9a-z]{21})~([A-Za-z0-9_][A-Za-z0-9_.-]*)$/;
const order = (a: RawTask, b: RawTask) =>
  a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Tasks matching the filter, in insertion order, one page after `cursor`. */
export async function listTasks(
  store: TaskStore,
  options: ListOptions & { limit: number },
): Promise<Page<Task>> {
  let after: { seq: string; id: string } | null = null;
  if (options.cursor !== undefined) {
    const m = CURSOR.exec(options.cursor);
    if (!m) throw new ValidationError("cursor", "cursor: not a cursor this queue returned");
    after = { seq: m[1]!, id: m[2]! };
  }
  const all = (await scanAll(store)).map((s) => s.raw).filter((r) => matches(r, options));
  all.sort(order);
  const rest = after ? all.filter((r) => order(r, after as RawTask) > 0) : all;
  const items = rest.slice(0, options.limit);
  const last = items[items.length - 1];
  return {
    items: items.map(toTask),
    nextCursor: rest.length > options.limit && last ? `${last.seq}~${last.id}` : null,
  };
}

export async function countTasks(store: TaskStore, filter: TaskFilter): Promise<number> {
  return (await scanAll(store)).filter((s) => matches(s.raw, filter)).length;
}

export async function purgeTasks(
  store: TaskStore,
  options: PurgeOptions & { statuses: readonly TaskStatus[] },
): Promise<number> {
  const before = options.finishedBefore?.getTime();
  const doomed = (await scanAll(store)).filter(
    ({ raw }) =>
      options.statuses.includes(raw.status) &&
      (options.queue === undefined || raw.queue === options.queue) &&
      (before === undefined || (raw.finishedAt !== null && Date.parse(raw.finishedAt) < before)),
  );
  const deleted = await inLanes(doomed, store.options.lanes, async ({ raw, version }) => {
    await store.keepResult(raw);
    if (!(await store.target.delete(layout.task(raw.id), version))) return false;
    store.state.parsed.delete(layout.task(raw.id));
    store.state.succeeded.delete(raw.id);
    store.state.depChecks.delete(raw.id);
    return true;
  });
  return deleted.filter(Boolean).length;
}

/**
 * How recent a claim's listing that found a queue's `pending/` empty must be for the sweep to
 * trust it instead of listing again. A lease made since then and already expired is found by
 * a later sweep: recovery can come this much later, never wrongly.
 */
const EMPTY_LISTING_MS = 2_000;

/** Pages of a queue's `pending/` one sweep lists after its first page (see {@link sweepPages}). */
const SWEEP_ROLLING_PAGES = 1;
const SWEEP_PAGE = 1000;

/**
 * What one expired-lease sweep looks at in a queue's `pending/`: its first page, where leases
 * gather (claims take tasks from the front, and a dead worker's leases stay where they were
 * while the tasks after them are claimed and finished), and the next
 * {@link SWEEP_ROLLING_PAGES} page(s) of a pass through the rest that the next sweep goes on
 * with (`state.sweepCursor`), wrapping around at the end. So a sweep costs at most two `list`
 * requests however long the backlog, instead of one per 1,000 pending tasks (a queue of
 * 50,000 pending tasks cost 51 requests, and on local disk 3.4 s of blocked event loop, every
 * second); a lease that expired behind the first page is found within `backlog / 1000`
 * sweeps.
 */
async function sweepPages(store: TaskStore, queue: string, prefix: string): Promise<ListEntry[]> {
  const target = store.target;
  const first = await target.list({ prefix, limit: SWEEP_PAGE, versions: true });
  const cursors = store.state.sweepCursor;
  if (first.cursor === null) {
    cursors.delete(queue);
    return first.entries;
  }
  const out = [...first.entries];
  const last = first.entries[first.entries.length - 1]?.key ?? "";
  let cursor: string | null = cursors.get(queue) ?? first.cursor;
  for (let i = 0; i < SWEEP_ROLLING_PAGES && cursor !== null; i++) {
    let page: ListPage;
    try {
      page = await target.list({ prefix, cursor, limit: SWEEP_PAGE, versions: true });
    } catch (err) {
      // A continuation token the store no longer accepts: start the pass again next time.
      cursors.delete(queue);
      throw err;
    }
    // A cursor from an earlier sweep can point before the end of today's first page (tasks
    // at the front finished since): those entries are in `out` already.
    for (const e of page.entries) if (e.key > last) out.push(e);
    cursor = page.cursor;
  }
  if (cursor === null) cursors.delete(queue);
  else cursors.set(queue, cursor);
  return out;
}

/**
 * Running tasks whose lease ended before `now`, from the files in `pending/` only (never the
 * finished tasks): a task not yet due was never claimed and is skipped by its name, a file
 * this process knows as pending needs no read, and others are read once per version (the
 * parsed-file cache). Stale lease files (their task moved on) are removed on the way, and an
 * operation that died half-way (a cancel, say) is finished.
 */
export async function findExpiredLeases(
  store: TaskStore,
  now: Date,
  limit: number,
): Promise<Task[]> {
  const out: Task[] = [];
  for (const queue of await knownQueues(store)) {
    const prefix = layout.pendingPrefix(queue);
    const nowMs = Date.now();
    // An idle worker's poll has just listed this queue and found nothing at all.
    const emptyAt = store.state.pages.get(queue)?.emptyAt ?? Number.NEGATIVE_INFINITY;
    if (nowMs - emptyAt <= EMPTY_LISTING_MS) continue;
    for (const e of await sweepPages(store, queue, prefix)) {
      if (out.length >= limit) return out;
      const c = candidateOf(prefix, e.key, e.version);
      // Not a pending file's name (claims never take it, so it holds no lease), or not due
      // yet: never claimed (claims take due tasks only).
      if (!c || c.runAt > Math.max(nowMs, now.getTime())) continue;
      const known = store.state.bodies.get(e.key);
      if (known && e.version !== undefined && known.version === e.version) continue;
      // Finished here and about to be deleted, or deleted since the listing: nothing to recover.
      if (store.state.discarding.has(e.key) || store.state.gone.has(e.key)) continue;
      // Another process's lease last read as running until later than now cannot have expired
      // (only a heartbeat changes a running lease, and it extends it): no read.
      const seen = store.state.leaseSeen.get(e.key);
      if (seen !== undefined && seen > now.getTime()) continue;
      // A lease this process holds (claimed here, running or claimed ahead by a worker) is
      // known as it was written: no read. Workers hold many at once when they claim ahead.
      const held = store.state.held.get(c.id);
      // One it holds until later than now, by its own account, is not read whatever version
      // the listing saw (the listing may predate the claim or a heartbeat): nobody can have
      // taken it over before it ran out.
      if (
        held &&
        held.orderKey === c.orderKey &&
        held.raw.leaseUntil !== null &&
        parseIso(held.raw.leaseUntil) > now.getTime()
      ) {
        continue;
      }
      const lease =
        held &&
        e.version !== undefined &&
        held.leaseVersion === e.version &&
        held.orderKey === c.orderKey
          ? { value: { base: held.base, task: held.raw }, version: held.leaseVersion }
          : await readCached<Envelope>(store, e, checkEnvelope);
      if (!lease) continue;
      const env = envelopeOf(lease);
      const t = env.task;
      if (t.status === "pending") continue;
      store.state.taken.set(e.key, true);
      const leaseUntil =
        t.status === "running" && t.leaseUntil !== null ? Date.parse(t.leaseUntil) : null;
      if (leaseUntil !== null && !held) store.state.leaseSeen.set(e.key, leaseUntil);
      else store.state.leaseSeen.delete(e.key);
      const expired = leaseUntil !== null && leaseUntil < now.getTime();
      const stuck = t.status !== "running" && halfDone(t);
      if (!expired && !stuck) continue;
      const rec = await store.readRecord(t.id);
      const orderKey = c.orderKey;
      if (!rec || rec.version !== env.base || rec.value.key !== orderKey) {
        // Back to pending under a new key whose file the process doing it may have died
        // before writing: this old file is the only trace of that, so it stays until the
        // new file is there for sure. Right after the change it may be on its way (it and
        // the deletion of this file follow within moments): a later sweep looks again.
        const pending = rec?.value.status === "pending" ? rec : null;
        if (pending && pending.value.key !== orderKey) {
          if (!halfDone(pending.value)) continue;
          await store.rollForward(pending);
        }
        await store.target.delete(e.key, lease.version);
        // A roll-forward that died after taking the name: its blocker was all that was left.
        if (pending && pending.value.key === orderKey && env.base === BLOCKED) {
          await store.rollForward(pending);
        }
        continue;
      }
      if (expired) {
        out.push(toTask(t));
        continue;
      }
      await store.apply(
        {
          kind: "lease",
          cached: false,
          queue,
          orderKey,
          base: env.base,
          leaseVersion: lease.version,
          raw: t,
          claimedHere: false,
        },
        t,
      );
    }
  }
  return out;
}

/**
 * How long a listing of a queue's TTL markers that found none due is trusted: until the first
 * marker it saw falls due, and for at most this long (another process may add a marker that
 * falls due sooner). Claims never start an expired task whatever this says (they read the
 * expiry from the pending file's name); it only delays the `expired` status, by this at most.
 */
const TTL_RECHECK_MS = 10_000;

/** Pending tasks whose `expiresAt <= now`, from the TTL markers (tasks without TTL cost nothing). */
export async function findOverdue(store: TaskStore, now: Date, limit: number): Promise<Task[]> {
  const out: Task[] = [];
  for (const queue of await knownQueues(store)) {
    const seen = store.state.ttlSeen.get(queue);
    if (seen && Date.now() - seen.at < TTL_RECHECK_MS && now.getTime() < seen.nextDue) continue;
    const listedAt = Date.now();
    const prefix = layout.ttlPrefix(queue);
    let nextDue = Number.POSITIVE_INFINITY;
    let cursor: string | null = null;
    scan: do {
      const page = await store.target.list({ prefix, cursor, limit: 1000 });
      for (const e of page.entries) {
        const name = e.key.slice(prefix.length);
        const exp = parseTime17(name.slice(0, 17));
        const id = name.slice(18);
        if (Number.isNaN(exp) || name[17] !== "!") continue;
        if (exp > now.getTime()) {
          nextDue = exp;
          break scan;
        }
        if (out.length >= limit) {
          nextDue = Number.NEGATIVE_INFINITY; // more are due: look again next time
          break scan;
        }
        const raw = await store.get(id);
        const live = raw && raw.expiresAt !== null && Date.parse(raw.expiresAt) === exp;
        if (live && raw.status === "pending") out.push(toTask(raw));
        else if (!live || (raw.status !== "running" && raw.status !== "pending")) {
          await store.target.delete(e.key);
        }
      }
      cursor = page.cursor;
    } while (cursor);
    store.state.ttlSeen.set(queue, { at: listedAt, nextDue: out.length > 0 ? listedAt : nextDue });
  }
  return out;
}
