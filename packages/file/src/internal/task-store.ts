import {
  type ClaimRequest,
  ConflictError,
  type PreparedTask,
  type Task,
  type TaskGuard,
  type TaskPatch,
} from "@omniq/core";
import { layout, newSeq, orderKey } from "../layout.js";
import type { StorageTarget } from "../targets/storage-target.js";
import { checkEnvelope, type Envelope } from "./envelope.js";
import { type JsonStore, toBytes, type Versioned } from "./json-store.js";
import { type Candidate, candidateOf, PendingPage } from "./pending-page.js";
import type { HeldTask, StoreState } from "./store-state.js";
import {
  applyPatch,
  checkRawTask,
  guardHolds,
  type RawTask,
  rawFromPrepared,
  toTask,
} from "./task-record.js";

export interface TaskStoreOptions {
  pageSize: number;
  listCacheMs: number;
}

/** The current state of a task, as far as one read can tell. */
export type Resolved =
  | { kind: "record"; raw: RawTask; version: string; cached: false }
  | ({ kind: "lease"; cached: boolean } & HeldTask);

const EMPTY = toBytes({});
const encoder = new TextEncoder();
/** Tasks of one batch stored at the same time. */
const INSERT_LANES = 16;
const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));

function keyOf(raw: RawTask, seq: string): string {
  return orderKey({
    priority: raw.priority,
    runAt: Date.parse(raw.runAt),
    seq,
    expiresAt: ms(raw.expiresAt),
    hasDeps: raw.dependsOn.length > 0,
    id: raw.id,
  });
}

/**
 * Tasks on a storage target. The protocol (README, "How claiming works"):
 *
 * - `tasks/<id>.json` is the task's record; every change of status is a compare-and-swap on
 *   it, so an old owner can never complete a task that was taken over.
 * - A pending task also has `queues/<q>/pending/<orderKey>.json` (the record plus the
 *   record's version), listed in dequeue order by claimers.
 * - Claiming creates `queues/<q>/running/<orderKey>.json` with write-if-absent (one winner)
 *   and then deletes the pending file, which must succeed (else the listing was stale and
 *   the claim is undone). While it exists the running file is the task's state (the lease);
 *   heartbeats swap it. Leaving the running state swaps the record, then removes the lease.
 */
export class TaskStore {
  constructor(
    readonly target: StorageTarget,
    readonly json: JsonStore,
    readonly state: StoreState,
    readonly options: TaskStoreOptions,
  ) {}

  // ---- reads ----

  readRecord(id: string): Promise<Versioned<RawTask> | null> {
    return this.json.get(layout.task(id), checkRawTask);
  }

  /** The task's current state, from the held-task cache when `useCache` and known. */
  async resolve(id: string, useCache: boolean): Promise<Resolved | null> {
    if (useCache) {
      const held = this.state.held.get(id);
      if (held) return { kind: "lease", cached: true, ...held };
    }
    const rec = await this.readRecord(id);
    if (!rec) {
      this.state.held.delete(id);
      return null;
    }
    const raw = rec.value;
    if (raw.status === "pending" && raw.key) {
      const leaseKey = layout.running(raw.queue, raw.key);
      const lease = await this.json.get(leaseKey, checkEnvelope);
      if (lease && lease.value.base === rec.version) {
        const prev = this.state.held.get(id);
        return {
          kind: "lease",
          cached: false,
          queue: raw.queue,
          orderKey: raw.key,
          base: rec.version,
          leaseVersion: lease.version,
          raw: lease.value.task,
          claimedHere: prev?.orderKey === raw.key && prev.claimedHere,
        };
      }
      if (lease) await this.target.delete(leaseKey, lease.version);
    }
    return { kind: "record", raw, version: rec.version, cached: false };
  }

  async get(id: string): Promise<RawTask | null> {
    return (await this.resolve(id, false))?.raw ?? null;
  }

  // ---- enqueue ----

  async registerQueue(queue: string): Promise<void> {
    if (this.state.queues.has(queue)) return;
    await this.target.writeIfAbsent(layout.queueMarker(queue), EMPTY);
    this.state.queues.add(queue);
  }

  /** Stores new tasks, several at a time (a batch's writes overlap); results in input order. */
  async insert(prepared: readonly PreparedTask[]): Promise<Task[]> {
    const out: Task[] = new Array(prepared.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < prepared.length) {
        const i = next++;
        out[i] = await this.#insertOne(prepared[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(INSERT_LANES, prepared.length) }, lane));
    return out;
  }

  async #insertOne(p: PreparedTask): Promise<Task> {
    const seq = newSeq();
    const raw = rawFromPrepared(p, seq);
    if (raw.status === "pending") raw.key = keyOf(raw, seq);
    await this.registerQueue(raw.queue);
    const json = JSON.stringify(raw);
    const bytes = encoder.encode(json);
    let existing: RawTask | null = null;
    let version: string | null = null;
    for (let attempt = 0; attempt < 3 && version === null && existing === null; attempt++) {
      version = await this.target.writeIfAbsent(layout.task(raw.id), bytes);
      if (version === null) existing = await this.get(raw.id);
    }
    if (existing) return toTask(existing);
    if (version === null) {
      throw new ConflictError(
        `file queue: task ${raw.id} is being created and deleted concurrently; try again`,
      );
    }
    if (raw.status === "pending") await this.#publishPending(raw, version, json);
    return toTask(raw);
  }

  /** Writes the pending file (and TTL marker) of a record just stored at `version`. */
  async #publishPending(raw: RawTask, version: string, json?: string): Promise<void> {
    const key = layout.pending(raw.queue, raw.key!);
    // The envelope {base, task} around the record's JSON, without encoding the record again.
    const envelope = `{"base":${JSON.stringify(version)},"task":${json ?? JSON.stringify(raw)}}`;
    const pendingVersion = await this.target.write(key, encoder.encode(envelope));
    if (raw.expiresAt) {
      await this.target.write(layout.ttl(raw.queue, Date.parse(raw.expiresAt), raw.id), EMPTY);
    }
    this.state.bodies.set(key, { base: version, raw, version: pendingVersion });
    const page = this.state.pages.get(raw.queue);
    if (!page) return;
    const runAt = Date.parse(raw.runAt);
    const c = candidateOf(page.prefix, key, pendingVersion);
    if (c && runAt <= Date.now()) page.insert(c);
    else page.noteFuture(runAt);
  }

  // ---- claim ----

  #page(queue: string): PendingPage {
    let page = this.state.pages.get(queue);
    if (!page) {
      page = new PendingPage(layout.pendingPrefix(queue), this.target, this.options.pageSize);
      this.state.pages.set(queue, page);
    }
    return page;
  }

  async claim(req: ClaimRequest): Promise<Task[]> {
    const out: Task[] = [];
    const now = req.now.getTime();
    for (const queue of new Set(req.queues)) {
      if (out.length >= req.limit) break;
      const page = this.#page(queue);
      let listed = false;
      let lost = 0;
      if (page.stale(now, this.options.listCacheMs)) {
        await page.refresh(now);
        listed = true;
      }
      while (out.length < req.limit) {
        const c = page.take(now, lost > 0 ? 8 : 1);
        if (!c) {
          const fresh =
            page.complete &&
            Date.now() - page.listedAt <= this.options.listCacheMs &&
            now < page.nextDueAt;
          if (listed || (fresh && !page.blocked)) break;
          await page.refresh(now);
          listed = true;
          continue;
        }
        const r = await this.#tryClaim(queue, c, req);
        if (r === "blocked") page.blocked = true;
        else if (r === null) lost++;
        else out.push(r);
      }
    }
    return out;
  }

  async #tryClaim(
    queue: string,
    c: Candidate,
    req: ClaimRequest,
  ): Promise<Task | "blocked" | null> {
    const bodies = this.state.bodies;
    let env: Envelope;
    let pendingVersion = c.version;
    const known = bodies.get(c.key);
    if (known) {
      env = { base: known.base, task: known.raw };
      pendingVersion = known.version;
    } else {
      const got = await this.json.get(c.key, checkEnvelope);
      if (!got) return null;
      env = got.value;
      pendingVersion = got.version;
    }
    const raw = env.task;
    if (raw.status !== "pending" || raw.key !== c.orderKey || raw.id !== c.id) {
      bodies.delete(c.key);
      return null;
    }
    if (c.hasDeps && !(await this.#depsMet(raw))) return "blocked";
    const now = req.now.getTime();
    const at = req.now.toISOString();
    const running: RawTask = {
      ...raw,
      status: "running",
      workerId: req.workerId,
      leaseUntil: new Date(now + req.leaseMs).toISOString(),
      startedAt: at,
      updatedAt: at,
      attempts: raw.attempts + 1,
    };
    const leaseKey = layout.running(queue, c.orderKey);
    const leaseVersion = await this.target.writeIfAbsent(
      leaseKey,
      toBytes({ base: env.base, task: running } satisfies Envelope),
    );
    bodies.delete(c.key);
    if (leaseVersion === null) return null;
    if (!(await this.target.delete(c.key, pendingVersion))) {
      // The listing was stale: this incarnation was claimed and finished meanwhile.
      await this.target.delete(leaseKey, leaseVersion);
      return null;
    }
    this.state.held.set(raw.id, {
      queue,
      orderKey: c.orderKey,
      base: env.base,
      leaseVersion,
      raw: running,
      claimedHere: true,
    });
    return toTask(running);
  }

  async #depsMet(raw: RawTask): Promise<boolean> {
    for (const dep of raw.dependsOn) {
      if (this.state.succeeded.has(dep)) continue;
      if ((await this.get(dep))?.status !== "success") return false;
      this.state.succeeded.set(dep, true);
    }
    return true;
  }

  // ---- changes ----

  /** Compare-and-set on the task's current state; `null` when the guard does not hold. */
  async update(id: string, guard: TaskGuard, patch: TaskPatch): Promise<Task | null> {
    for (let attempt = 0; attempt < 12; attempt++) {
      const st = await this.resolve(id, attempt === 0);
      if (!st) return null;
      if (!guardHolds(st.raw, guard)) {
        if (st.cached) continue;
        return null;
      }
      const next = applyPatch(st.raw, patch);
      const done = await this.apply(st, next);
      if (done) return toTask(done);
    }
    throw new ConflictError(`file queue: task ${id} kept changing while updating it; try again`);
  }

  /** Moves the task from state `st` to `next`; `null` on a lost race (re-read and retry). */
  async apply(st: Resolved, next: RawTask): Promise<RawTask | null> {
    const id = next.id;
    if (st.kind === "lease") {
      const leaseKey = layout.running(st.queue, st.orderKey);
      if (next.status === "running") {
        const v = await this.target.writeIfVersion(
          leaseKey,
          toBytes({ base: st.base, task: next } satisfies Envelope),
          st.leaseVersion,
        );
        if (v === null) {
          this.state.held.delete(id);
          return null;
        }
        this.state.held.set(id, { ...st, leaseVersion: v, raw: next });
        return next;
      }
      const out = await this.#commit(next, st.base);
      if (!out) {
        this.state.held.delete(id);
        return null;
      }
      // A claimer that died between its two steps may have left the pending file.
      if (!st.claimedHere) await this.target.delete(layout.pending(st.queue, st.orderKey));
      await this.target.delete(leaseKey);
      this.state.held.delete(id);
      return out;
    }
    const raw = st.raw;
    if (raw.status === "pending" && raw.key) {
      // Leave the pending state the way a claimer does, so no claim can slip in between.
      const leaseKey = layout.running(raw.queue, raw.key);
      const pendingKey = layout.pending(raw.queue, raw.key);
      const vL = await this.target.writeIfAbsent(
        leaseKey,
        toBytes({ base: st.version, task: next } satisfies Envelope),
      );
      if (vL === null) return null;
      this.state.bodies.delete(pendingKey);
      if (!(await this.target.delete(pendingKey))) {
        const cur = await this.target.read(layout.task(id));
        if (!cur || cur.version !== st.version) {
          await this.target.delete(leaseKey, vL);
          return null;
        }
      }
      const out = await this.#commit(next, st.version);
      await this.target.delete(leaseKey);
      return out;
    }
    return this.#commit(next, st.version);
  }

  /** Swaps `tasks/<id>.json` from `base` to `next` (a new incarnation when pending). */
  async #commit(next: RawTask, base: string): Promise<RawTask | null> {
    const rec: RawTask = { ...next };
    delete rec.key;
    if (rec.status === "pending") rec.key = keyOf(rec, rec.seq);
    const json = JSON.stringify(rec);
    const v = await this.target.writeIfVersion(layout.task(rec.id), encoder.encode(json), base);
    if (v === null) return null;
    if (rec.status === "pending") await this.#publishPending(rec, v, json);
    if (rec.status === "success") this.state.succeeded.set(rec.id, true);
    return rec;
  }

  /** Deletes a task in any state; `true` when its record existed. */
  async remove(id: string): Promise<boolean> {
    const rec = await this.readRecord(id);
    if (!rec) return false;
    const raw = rec.value;
    if (raw.key) {
      await this.target.delete(layout.pending(raw.queue, raw.key));
      await this.target.delete(layout.running(raw.queue, raw.key));
      this.state.bodies.delete(layout.pending(raw.queue, raw.key));
    }
    this.state.held.delete(id);
    this.state.succeeded.delete(id);
    return this.target.delete(layout.task(id), rec.version);
  }
}
