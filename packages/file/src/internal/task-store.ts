import {
  type ClaimRequest,
  ConflictError,
  fromJson,
  type PreparedTask,
  type Task,
  type TaskGuard,
  type TaskPatch,
} from "@omniq/core";
import { layout, newSeq, orderKey } from "../layout.js";
import {
  type StorageTarget,
  writeTextIfAbsent,
  writeTextIfVersion,
} from "../targets/storage-target.js";
import { BLOCKED, checkEnvelope, envelopeOf, envelopeText } from "./envelope.js";
import { type JsonStore, toBytes, type Versioned } from "./json-store.js";
import { inLanes } from "./lanes.js";
import { StaleFiles } from "./stale-files.js";
import type { HeldTask, StoreState } from "./store-state.js";
import { type ClaimOptions, TaskClaims } from "./task-claims.js";
import {
  applyPatch,
  checkRawTask,
  guardHolds,
  isoOf,
  msOf,
  type RawTask,
  rawFromPrepared,
  toTask,
} from "./task-record.js";

/** A result to write into the task's final record (`complete()` with a result). */
export interface EmbeddedResult {
  /** The `TaskResult` as JSON (core's `prepareResult`). */
  json: string;
  /** Its `expiresAt` (ms), for the expiry marker; `null` when it never expires. */
  expiresAt: number | null;
}

/** What a task store is tuned by (its claims use all of it). */
export type TaskStoreOptions = ClaimOptions;

/** The current state of a task, as far as one read can tell. */
export type Resolved =
  | {
      kind: "record";
      raw: RawTask;
      version: string;
      cached: false;
      /** Version of the pending file, when the task is pending and its file was found. */
      pendingVersion?: string;
    }
  | ({ kind: "lease"; cached: boolean } & HeldTask);

const EMPTY = toBytes({});

/**
 * How long after a change of a task's record a state that change left half-done may be taken
 * as abandoned (its process died) and finished by another: a record gone to pending whose
 * pending file is missing ({@link TaskStore.rollForward}), a lease file whose operation died
 * after swapping it (the expired-lease sweep). A writer stalled longer than this between two
 * requests of one operation could race the one finishing it.
 */
const HALF_DONE_MS = 30_000;

/** Whether the record's last change is old enough for {@link HALF_DONE_MS}. */
export const halfDone = (raw: RawTask): boolean =>
  Date.now() - Date.parse(raw.updatedAt) > HALF_DONE_MS;

const ms = (iso: string | null) => (iso === null ? null : msOf(iso));

function keyOf(raw: RawTask, seq: string): string {
  return orderKey({
    priority: raw.priority,
    runAt: msOf(raw.runAt),
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
 * - Claiming swaps that file, on the version that held the pending task, to the running task
 *   (one request; exactly one claimer wins). From then on the file is the lease: heartbeats
 *   swap it, and leaving the running state swaps the record, then deletes the file. A key
 *   never holds a pending task again once it held anything else (a task returning to pending
 *   gets a new key), so claimers skip keys they saw taken without reading them again.
 */
export class TaskStore {
  readonly #stale: StaleFiles;
  readonly #claims: TaskClaims;

  constructor(
    readonly target: StorageTarget,
    readonly json: JsonStore,
    readonly state: StoreState,
    readonly options: TaskStoreOptions,
  ) {
    this.#stale = new StaleFiles(target, state);
    this.#claims = new TaskClaims(target, json, state, options, (id) => this.get(id));
  }

  /** Deletes the queued stale lease files now (best effort: failures are left to the sweep). */
  flush(): Promise<void> {
    return this.#stale.flush();
  }

  // ---- reads ----

  readRecord(id: string): Promise<Versioned<RawTask> | null> {
    return this.json.get(layout.task(id), checkRawTask);
  }

  /**
   * The task's current state, from the held-task cache when `useCache` and known. A pending
   * task whose pending file is missing although its record changed more than
   * {@link HALF_DONE_MS} ago (its enqueue, redrive or return to pending was cut off between the
   * record and the file) is published again on the way ({@link rollForward}).
   */
  async resolve(id: string, useCache: boolean, heal = true): Promise<Resolved | null> {
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
      const fileKey = layout.pending(raw.queue, raw.key);
      const file = await this.json.get(fileKey, checkEnvelope);
      if (file && envelopeOf(file).base === rec.version) {
        const task = file.value.task;
        if (task.status === "pending") {
          return {
            kind: "record",
            raw,
            version: rec.version,
            cached: false,
            pendingVersion: file.version,
          };
        }
        this.state.taken.set(fileKey, true);
        return {
          kind: "lease",
          cached: false,
          queue: raw.queue,
          orderKey: raw.key,
          base: rec.version,
          leaseVersion: file.version,
          raw: task,
          claimedHere: false,
        };
      }
      if (!file && heal && halfDone(raw) && (await this.rollForward(rec))) {
        return this.resolve(id, false, false);
      }
      // A file of an older incarnation (its record moved on): never claimable again. A
      // blocker is left to the roll-forward that wrote it (deleting it could let a slow
      // original writer publish the file the roll-forward replaced).
      if (file && file.value.base !== BLOCKED) {
        this.state.taken.set(fileKey, true);
        await this.target.delete(fileKey, file.version);
      }
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
    if (prepared.length === 1) return [await this.#insertOne(prepared[0]!)];
    return inLanes(prepared, this.options.lanes, (p) => this.#insertOne(p));
  }

  async #insertOne(p: PreparedTask): Promise<Task> {
    const seq = newSeq();
    const raw = rawFromPrepared(p, seq);
    if (raw.status === "pending") raw.key = keyOf(raw, seq);
    if (!this.state.queues.has(raw.queue)) await this.registerQueue(raw.queue);
    const json = JSON.stringify(raw);
    let existing: RawTask | null = null;
    let version: string | null = null;
    for (let attempt = 0; attempt < 3 && version === null && existing === null; attempt++) {
      version = await writeTextIfAbsent(this.target, layout.task(raw.id), json);
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

  /**
   * Writes the pending file (and TTL marker) of a record just stored at `version`. The file is
   * created only if absent: when it is there already, {@link rollForward} took the name (this
   * process was slow enough for another to think it dead) and publishes the task itself.
   */
  async #publishPending(raw: RawTask, version: string, json?: string): Promise<void> {
    const key = layout.pending(raw.queue, raw.key!);
    const pendingVersion = await this.#writePending(raw, key, version, json);
    if (pendingVersion === null) return;
    if (raw.expiresAt) {
      await this.target.write(layout.ttl(raw.queue, Date.parse(raw.expiresAt), raw.id), EMPTY);
      this.state.ttlSeen.delete(raw.queue);
    }
    this.state.bodies.set(key, { base: version, raw, version: pendingVersion });
    const page = this.state.pages.get(raw.queue);
    if (!page) return;
    const runAt = msOf(raw.runAt);
    if (runAt > Date.now()) {
      page.noteFuture(runAt);
      return;
    }
    // What the listing would read from the key's name, known here without parsing it.
    page.insert({
      key,
      orderKey: raw.key!,
      id: raw.id,
      runAt,
      expiresAt: ms(raw.expiresAt),
      hasDeps: raw.dependsOn.length > 0,
      version: pendingVersion,
      done: false,
    });
  }

  /**
   * Writes the pending file of a record stored at `version`: a second name of the record
   * file where the target has hard links (one directory entry, no new file: its version is
   * the record's), else the envelope `{base, task}` around the record's JSON.
   */
  async #writePending(
    raw: RawTask,
    key: string,
    version: string,
    json?: string,
  ): Promise<string | null> {
    if (this.target.linkIfAbsent) {
      const v = await this.target.linkIfAbsent(layout.task(raw.id), key);
      if (v === version) return v;
      // The record changed in between (or the name was taken): write the envelope instead.
      if (v !== null) await this.target.delete(key, v);
    }
    return writeTextIfAbsent(this.target, key, envelopeText(version, json ?? JSON.stringify(raw)));
  }

  /**
   * Publishes the missing pending file of a task whose record went to pending (enqueue,
   * redrive, retry, release, recovery) in a process that died before writing that file: the
   * record and the file are two requests. The expired-lease sweep finds such a task through
   * its old lease file, which stays until the record has moved on, and any read of the task
   * (`get`, a re-enqueue of its id, `cancel`) finds it too; without this the task stayed
   * `pending` for good and no claimer ever saw it. Callers wait until the record is
   * {@link halfDone}. `true` when it published it.
   *
   * Safe against a stale `rec` and against an original writer that is merely slow: the
   * missing name is first taken by a {@link BLOCKED} file (`writeIfAbsent`; every pending file
   * is created only if absent, so the original writer can no longer publish it; if the name
   * exists, there is nothing to do), then the record moves to a new incarnation by a
   * compare-and-swap on the version read, which fails if the task moved on meanwhile (its file
   * was published and claimed, say), and publishes that incarnation's file as every return to
   * pending does. The blocker is left in place: deleting it at once would let a writer that
   * is still on its way publish the old name (a second, stale pending file of the task, which
   * a claimer would run). The sweep deletes it {@link HALF_DONE_MS} later.
   */
  async rollForward(rec: Versioned<RawTask>): Promise<boolean> {
    const raw = rec.value;
    if (raw.status !== "pending" || !raw.key) return false;
    const key = layout.pending(raw.queue, raw.key);
    const at = isoOf(new Date());
    // Not claimable (not pending), never the record's version: readers skip it; its time
    // tells the sweep when it may go.
    const blocker = { ...raw, status: "cancelled" as const, updatedAt: at };
    const taken = await writeTextIfAbsent(
      this.target,
      key,
      envelopeText(BLOCKED, JSON.stringify(blocker)),
    );
    if (taken === null) return false;
    this.state.taken.set(key, true);
    return (await this.#commit({ ...raw, updatedAt: at }, rec.version)) !== null;
  }

  // ---- claim ----

  /** Claims due tasks (see {@link TaskClaims}). */
  claim(req: ClaimRequest): Promise<Task[]> {
    return this.#claims.claim(req);
  }

  // ---- changes ----

  /** Compare-and-set on the task's current state; `null` when the guard does not hold. */
  async update(
    id: string,
    guard: TaskGuard,
    patch: TaskPatch,
    result?: EmbeddedResult,
  ): Promise<Task | null> {
    for (let attempt = 0; attempt < 12; attempt++) {
      const st = await this.resolve(id, attempt === 0);
      if (!st) return null;
      if (!guardHolds(st.raw, guard)) {
        if (st.cached) continue;
        return null;
      }
      const next = applyPatch(st.raw, patch);
      const done = await this.apply(st, next, result);
      if (done) return toTask(done);
    }
    throw new ConflictError(`file queue: task ${id} kept changing while updating it; try again`);
  }

  /** Moves the task from state `st` to `next`; `null` on a lost race (re-read and retry). */
  async apply(st: Resolved, next: RawTask, result?: EmbeddedResult): Promise<RawTask | null> {
    const id = next.id;
    if (st.kind === "lease") {
      const fileKey = layout.pending(st.queue, st.orderKey);
      if (next.status === "running") {
        const v = await writeTextIfVersion(
          this.target,
          fileKey,
          envelopeText(st.base, JSON.stringify(next)),
          st.leaseVersion,
        );
        if (v === null) {
          this.state.held.delete(id);
          return null;
        }
        this.state.held.set(id, { ...st, leaseVersion: v, raw: next });
        return next;
      }
      const out = await this.#commit(next, st.base, result);
      this.state.held.delete(id);
      if (!out) return null;
      // The record moved on: the lease file is stale now, so deleting it can wait.
      this.#stale.discard(fileKey);
      return out;
    }
    const raw = st.raw;
    if (raw.status === "pending" && raw.key && st.pendingVersion !== undefined) {
      // Leave the pending state the way a claimer does (swap the pending file to the new
      // state: no claim can slip in between), then swap the record, then drop the file.
      const fileKey = layout.pending(raw.queue, raw.key);
      const v = await writeTextIfVersion(
        this.target,
        fileKey,
        envelopeText(st.version, JSON.stringify(next)),
        st.pendingVersion,
      );
      this.state.bodies.delete(fileKey);
      if (v === null) return null;
      this.state.taken.set(fileKey, true);
      const out = await this.#commit(next, st.version, result);
      if (out) this.#stale.discard(fileKey);
      else await this.target.delete(fileKey);
      return out;
    }
    return this.#commit(next, st.version, result);
  }

  /** Swaps `tasks/<id>.json` from `base` to `next` (a new incarnation when pending). */
  async #commit(next: RawTask, base: string, result?: EmbeddedResult): Promise<RawTask | null> {
    // `key: undefined` rather than `delete` (which would make the object slow to use):
    // JSON leaves undefined fields out.
    const rec: RawTask = { ...next, key: undefined };
    if (rec.status === "pending") rec.key = keyOf(rec, rec.seq);
    let json: string;
    if (result) {
      // The result goes into the same swap: `{...record, "result": <TaskResult JSON>}`.
      rec.result = undefined;
      json = `${JSON.stringify(rec).slice(0, -1)},"result":${result.json}}`;
    } else {
      json = JSON.stringify(rec);
    }
    const v = await writeTextIfVersion(this.target, layout.task(rec.id), json, base);
    if (v === null) return null;
    if (result?.expiresAt != null) {
      await this.target.write(layout.resultExpiry(result.expiresAt, rec.id), EMPTY);
    }
    if (rec.status === "pending") await this.#publishPending(rec, v, json);
    if (rec.status === "success") this.state.succeeded.set(rec.id, true);
    this.state.depChecks.delete(rec.id);
    return rec;
  }

  /**
   * Before a record with an embedded result is deleted, moves the result to
   * `results/<id>.json` (unless a newer result file is there): deleting or purging a task
   * never deletes its result, as with a separate result storage.
   */
  async keepResult(raw: RawTask): Promise<void> {
    const r = raw.result;
    if (r === undefined || r === null || typeof r !== "object") return;
    const at = (v: unknown): number => {
      const f = (fromJson(v) as { finishedAt?: unknown } | null)?.finishedAt;
      return f instanceof Date ? f.getTime() : 0;
    };
    const file = await this.json.get(layout.result(raw.id), at);
    if (file && file.value >= at(r)) return;
    await this.target.write(layout.result(raw.id), toBytes(r));
  }

  /** Deletes a task in any state; `true` when its record existed. */
  async remove(id: string): Promise<boolean> {
    const rec = await this.readRecord(id);
    if (!rec) return false;
    const raw = rec.value;
    await this.keepResult(raw);
    if (raw.key) {
      const fileKey = layout.pending(raw.queue, raw.key);
      this.state.taken.set(fileKey, true);
      this.state.bodies.delete(fileKey);
      await this.target.delete(fileKey);
    }
    this.state.held.delete(id);
    this.state.succeeded.delete(id);
    this.state.depChecks.delete(id);
    return this.target.delete(layout.task(id), rec.version);
  }
}
