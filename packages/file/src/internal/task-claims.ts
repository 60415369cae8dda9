import type { ClaimRequest, Task } from "@omniq/core";
import { layout } from "../layout.js";
import { type StorageTarget, writeTextIfVersion } from "../targets/storage-target.js";
import { checkEnvelope, type Envelope, envelopeOf, envelopeText } from "./envelope.js";
import type { JsonStore } from "./json-store.js";
import { type Candidate, PendingPage } from "./pending-page.js";
import type { StoreState } from "./store-state.js";
import { isoOf, type RawTask, toTask } from "./task-record.js";

/**
 * How long a dependency read as not yet succeeded is trusted before it is read again. A task
 * whose dependency succeeds in another process so becomes claimable up to this much later
 * (at once when it succeeds in this one).
 */
const DEP_RECHECK_MS = 1_000;

/** How claims list and how many requests they keep in flight. */
export interface ClaimOptions {
  pageSize: number;
  listCacheMs: number;
  /** Requests in flight at once for a call on several tasks (claims, inserts). */
  lanes: number;
}

/**
 * The claim side of `TaskStore`: each queue's {@link PendingPage} (its pending files as
 * last listed), and the claim itself, a compare-and-swap of a due pending file to the running
 * task on the version that held the pending task (README, "How claiming works").
 */
export class TaskClaims {
  constructor(
    private readonly target: StorageTarget,
    private readonly json: JsonStore,
    private readonly state: StoreState,
    private readonly options: ClaimOptions,
    /** Reads a task's current state (for its dependents' claims). */
    private readonly read: (id: string) => Promise<RawTask | null>,
  ) {}

  #page(queue: string): PendingPage {
    let page = this.state.pages.get(queue);
    if (!page) {
      page = new PendingPage(
        layout.pendingPrefix(queue),
        this.target,
        this.options.pageSize,
        this.state.taken,
      );
      this.state.pages.set(queue, page);
    }
    return page;
  }

  async claim(req: ClaimRequest): Promise<Task[]> {
    const out: Task[] = [];
    const now = req.now.getTime();
    for (const queue of new Set(req.queues)) {
      if (out.length >= req.limit) break;
      this.state.served.add(queue);
      const page = this.#page(queue);
      let listed = false;
      let lost = 0;
      if (page.stale(now, this.options.listCacheMs)) {
        await page.refresh(now);
        listed = true;
      }
      while (out.length < req.limit) {
        const picks: Candidate[] = [];
        const want = Math.min(req.limit - out.length, this.options.lanes);
        for (let c = page.take(now, lost > 0 ? 8 : 1); c; ) {
          picks.push(c);
          if (picks.length >= want) break;
          c = page.take(now, lost > 0 ? 8 : 1);
        }
        if (picks.length === 0) {
          const fresh =
            page.complete &&
            Date.now() - page.listedAt <= this.options.listCacheMs &&
            now < page.nextDueAt;
          if (listed || (fresh && !page.blocked)) break;
          await page.refresh(now);
          listed = true;
          continue;
        }
        let failure: { err: unknown } | undefined;
        const attempt = (c: Candidate) =>
          this.#tryClaim(queue, c, req).catch((err: unknown) => {
            failure ??= { err };
            return null;
          });
        // Several claims at once: on an object store each is a request, and waiting for them
        // one by one would cost a round trip per task.
        const tried =
          picks.length === 1 ? [await attempt(picks[0]!)] : await Promise.all(picks.map(attempt));
        for (const r of tried) {
          if (r === "blocked") page.blocked = true;
          else if (r === null) lost++;
          else out.push(r);
        }
        if (failure) {
          // A claim whose request failed (after the target's retries) may or may not have
          // taken its task; if it did, the lease expires and the task runs later. The tasks
          // this call did claim are returned rather than stranded; with none, the error is.
          if (out.length === 0) throw failure.err;
          return out;
        }
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
    const taken = this.state.taken;
    let env: Envelope;
    let pendingVersion: string;
    const known = bodies.get(c.key);
    // A pending file of another process's that was found waiting on a dependency is kept
    // parsed (by version), so that meeting it again costs no read.
    const waiting = known ? undefined : this.state.parsed.get(c.key);
    if (known) {
      env = { base: known.base, task: known.raw };
      pendingVersion = known.version;
    } else if (waiting && c.version !== undefined && waiting.version === c.version) {
      env = envelopeOf({ value: waiting.value as Envelope, version: waiting.version });
      pendingVersion = waiting.version;
    } else {
      const got = await this.json.get(c.key, checkEnvelope);
      if (!got) return null;
      env = envelopeOf(got);
      pendingVersion = got.version;
      if (c.hasDeps) this.state.parsed.set(c.key, { version: got.version, value: got.value });
    }
    const raw = env.task;
    if (raw.status !== "pending" || raw.key !== c.orderKey || raw.id !== c.id) {
      bodies.delete(c.key);
      taken.set(c.key, true);
      return null;
    }
    if (c.hasDeps && !(await this.#depsMet(raw))) return "blocked";
    const now = req.now.getTime();
    const at = isoOf(req.now);
    const running: RawTask = {
      ...raw,
      status: "running",
      workerId: req.workerId,
      leaseUntil: new Date(now + req.leaseMs).toISOString(),
      startedAt: at,
      updatedAt: at,
      attempts: raw.attempts + 1,
    };
    // The claim: swap the pending file to the running task, on the version that held the
    // pending task. Exactly one claimer wins; a stale listing (taken, finished, deleted) loses.
    const leaseVersion = await writeTextIfVersion(
      this.target,
      c.key,
      envelopeText(env.base, JSON.stringify(running)),
      pendingVersion,
    );
    bodies.delete(c.key);
    taken.set(c.key, true);
    if (leaseVersion === null) return null;
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
      if (!(await this.#depDone(dep))) return false;
    }
    return true;
  }

  /**
   * Whether a dependency no longer blocks: it succeeded, or it no longer exists (purged
   * after success, or deleted: enqueue checked that it existed, and one that ended badly
   * cancelled its dependents). A dependency found not done is not read again for
   * {@link DEP_RECHECK_MS}, and claims running at once share one read: without that, every
   * blocked task was re-checked on every listing (500 tasks waiting on one running parent
   * cost 1,000 reads a second per worker).
   */
  #depDone(dep: string): Promise<boolean> {
    const checks = this.state.depChecks;
    const memo = checks.get(dep);
    if (memo && Date.now() - memo.at < DEP_RECHECK_MS) return memo.done;
    const done = this.read(dep).then(
      (got) => {
        if (got === null) return true;
        if (got.status !== "success") return false;
        this.state.succeeded.set(dep, true);
        checks.delete(dep);
        return true;
      },
      (err: unknown) => {
        checks.delete(dep);
        throw err;
      },
    );
    checks.set(dep, { at: Date.now(), done });
    return done;
  }
}
