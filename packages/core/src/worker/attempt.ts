import { encode } from "../codec.js";
import { ClosedError, LeaseLostError, NotFoundError, TimeoutError } from "../errors.js";
import type { TaskEventType } from "../models/event.js";
import type { TaskResult } from "../models/result.js";
import { readStoredResult } from "../omniq/result-waiter.js";
import type { Task, TaskError } from "../models/task.js";
import { retryDelay } from "./retry-delay.js";
import type { TaskContext } from "./task-executor.js";
import { isUnrecoverable, toTaskError } from "./to-task-error.js";
import type { WorkerRuntime } from "./worker-runtime.js";
import { ATTEMPT_EVENTS, ATTEMPT_TRANSITIONS, AttemptState, canMove } from "./worker-state.js";

/** Why an attempt's signal fired. */
export type AbortKind = "timeout" | "lease_lost" | "cancelled" | "stopping";

type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; error: unknown }
  | { aborted: AbortKind };

function isLost(err: unknown): boolean {
  return err instanceof LeaseLostError || err instanceof NotFoundError;
}

function brief(e: TaskError): Record<string, unknown> {
  return { name: e.name, message: e.message, kind: e.kind ?? null };
}

/**
 * One attempt of one claimed task: runs the handler through the executor, renews the lease,
 * enforces the timeout, then writes the outcome. States and arrows: {@link AttemptState}.
 * (Internal to the worker.)
 */
export class Attempt {
  readonly task: Task;
  readonly #rt: WorkerRuntime;
  /** Made when the handler first reads `ctx.signal` (most never do: an AbortController per task costs). */
  #controller: AbortController | undefined;
  /** Rejects the wait for the handler when the attempt is aborted. */
  #rejectWait: ((reason: Error) => void) | undefined;
  #state: AttemptState = AttemptState.claimed;
  #abortKind: AbortKind | undefined;
  #cancelled = false;
  #settling = false;
  #renewing = false;
  #startedAt = new Date();
  /**
   * Until when this worker surely holds the lease (ms): the claim's `leaseUntil`, moved on
   * by each renewal that came back before it (a renewal that comes back later may have
   * landed after another worker took the task over: on the file backend a heartbeat swaps
   * the lease file, which can outlive a takeover for a moment, so it is not trusted).
   */
  #heldUntil: number;

  constructor(task: Task, rt: WorkerRuntime) {
    this.task = task;
    this.#rt = rt;
    this.#heldUntil = task.leaseUntil?.getTime() ?? Number.POSITIVE_INFINITY;
    if (rt.recorder.enabled) {
      this.#record(ATTEMPT_EVENTS.claimed, { leaseUntil: task.leaseUntil?.toISOString() ?? null });
    }
  }

  get state(): AttemptState {
    return this.#state;
  }

  /** The handler has returned (or was given up on) and the outcome is being written. */
  get settling(): boolean {
    return this.#settling;
  }

  /** Fires the signal and stops waiting for the handler; ignored once the outcome is being written. */
  abort(kind: AbortKind): void {
    if (kind === "cancelled") this.#cancelled = true;
    if (this.#settling || this.#abortKind) return;
    this.#abortKind = kind;
    const reason = this.#reason(kind);
    this.#controller?.abort(reason);
    this.#rejectWait?.(reason);
  }

  /** The handler's signal, made on first use (already aborted if the attempt was). */
  #signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortKind) this.#controller.abort(this.#reason(this.#abortKind));
    }
    return this.#controller.signal;
  }

  /** Gives a claimed task back without running it (claimed while stopping). */
  async giveBack(): Promise<void> {
    this.#settling = true;
    await this.#settle({ aborted: "stopping" });
  }

  /**
   * Runs the attempt; `onHandlerDone` is called once the handler's slot is free. An attempt
   * aborted before it ran (a claimed-ahead task that was cancelled, lost its lease or is
   * given back on stop) settles without calling the handler.
   */
  async run(onHandlerDone: () => void): Promise<void> {
    const { task } = this;
    if (!this.#abortKind && !(await this.#leaseHolds())) {
      // Claimed ahead, and the lease ran out while it waited (the process stalled past its
      // renewals): another worker may have taken the task over already, and running it now
      // could run it twice at once. It goes back to the queue instead (a guarded release: a
      // no-op when it was taken over), without using an attempt.
      this.#rt.logger.warn(
        { taskId: task.id, leaseUntil: new Date(this.#heldUntil).toISOString() },
        "omniq: the lease of a claimed-ahead task ran out before it could start; giving it back",
      );
      return this.#settleUnstarted("stopping", onHandlerDone);
    }
    // Aborted before it ran (or while its lease was being checked): never started, so no
    // `started` event; it settles from `claimed`.
    if (this.#abortKind) return this.#settleUnstarted(this.#abortKind, onHandlerDone);
    this.#startedAt = new Date();
    this.#move(AttemptState.running);
    const timeoutTimer =
      task.timeoutMs === null ? undefined : setTimeout(() => this.abort("timeout"), task.timeoutMs);
    let outcome: Outcome;
    try {
      const running = this.#execute();
      const value = await new Promise<unknown>((resolve, reject) => {
        this.#rejectWait = reject;
        running.then(resolve, reject);
      });
      outcome = { ok: true, value };
    } catch (error) {
      outcome = this.#abortKind ? { aborted: this.#abortKind } : { ok: false, error };
    } finally {
      this.#settling = true;
      this.#rejectWait = undefined;
      if (timeoutTimer) clearTimeout(timeoutTimer);
      onHandlerDone();
    }
    await this.#settle(outcome);
  }

  #execute(): Promise<unknown> {
    const signal = (): AbortSignal => this.#signal();
    const ctx: TaskContext = {
      task: this.task,
      attempt: this.task.attempts,
      get signal() {
        return signal();
      },
      workerId: this.#rt.workerId,
      heartbeat: async () => {
        await this.#guard(() =>
          this.#rt.queue.heartbeat(this.task.id, this.#rt.workerId, this.#rt.leaseMs),
        );
      },
      progress: async (value: unknown) => {
        encode(value, "progress");
        await this.#guard(() => this.#rt.queue.setProgress(this.task.id, this.#rt.workerId, value));
        this.#record("progress", { progress: value });
      },
      result: <T>(taskId: string) => readStoredResult<T>(this.#rt.queue, this.#rt.results, taskId),
      dependencies: () =>
        Promise.all(
          this.task.dependsOn.map((id, i) =>
            readStoredResult(this.#rt.queue, this.#rt.results, id, `dependsOn[${i}]`),
          ),
        ),
    };
    try {
      return Promise.resolve(this.#rt.executor.execute(ctx));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #guard(op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (isLost(err)) this.abort("lease_lost");
      throw err;
    }
  }

  /** Settles an attempt whose handler never ran, freeing its slot first. */
  async #settleUnstarted(kind: AbortKind, onHandlerDone: () => void): Promise<void> {
    this.#settling = true;
    onHandlerDone();
    await this.#settle({ aborted: kind });
  }

  /**
   * Whether the lease surely still holds for a while (a tenth of `leaseMs`), so the handler
   * may start. Known without a request while {@link #heldUntil} is ahead, which is the case
   * unless the process stalled past its renewals or a renewal came back late; then the store
   * says: the task must still be running under this worker with a lease that has not run out
   * (a late renewal that did land counts; one that landed on a lease file a takeover left
   * behind does not, since the task's state is then someone else's).
   */
  async #leaseHolds(): Promise<boolean> {
    const margin = this.#rt.leaseMs / 10;
    if (Date.now() < this.#heldUntil - margin) return true;
    let current: Task | null;
    try {
      current = await this.#rt.queue.get(this.task.id);
    } catch {
      return false;
    }
    const until = current?.leaseUntil?.getTime() ?? 0;
    if (
      current?.status !== "running" ||
      current.workerId !== this.#rt.workerId ||
      until < Date.now() + margin
    ) {
      return false;
    }
    this.#heldUntil = until;
    return true;
  }

  /** Extends the lease (the worker calls this every `leaseMs / 3` for each task it holds). */
  async renew(): Promise<void> {
    if (this.#renewing || this.#settling) return;
    this.#renewing = true;
    try {
      const sent = Date.now();
      await this.#rt.queue.heartbeat(this.task.id, this.#rt.workerId, this.#rt.leaseMs);
      if (Date.now() < this.#heldUntil) this.#heldUntil = sent + this.#rt.leaseMs;
    } catch (err) {
      if (isLost(err)) this.abort("lease_lost");
      else
        this.#rt.logger.warn(
          { err, taskId: this.task.id },
          "omniq: lease renewal failed; will try again",
        );
    } finally {
      this.#renewing = false;
    }
  }

  async #settle(outcome: Outcome): Promise<void> {
    try {
      if ("aborted" in outcome) {
        switch (outcome.aborted) {
          case "timeout":
            return await this.#timedOut();
          case "lease_lost":
            return await this.#lost();
          case "cancelled":
            this.#move(AttemptState.cancelled);
            this.#rt.stats.cancelled++;
            return;
          case "stopping":
            return await this.#release();
        }
      }
      if (outcome.ok) return await this.#succeed(outcome.value);
      return await this.#fail(outcome.error);
    } catch (err) {
      if (isLost(err)) return await this.#lost();
      this.#rt.logger.error(
        { err, taskId: this.task.id },
        "omniq: could not write the outcome of a task; its lease will run out and it will run again",
      );
    }
  }

  async #succeed(value: unknown): Promise<void> {
    const rt = this.#rt;
    const { task } = this;
    let result: TaskResult | undefined;
    if (task.storeResult) {
      if (rt.results && value !== undefined) {
        try {
          encode(value, "result.value");
        } catch (err) {
          return this.#fail(err, "result_encoding");
        }
      }
      result = this.#result("success", { value });
    }
    const done = await rt.batcher.complete({
      id: task.id,
      workerId: rt.workerId,
      result: rt.results ? result : undefined,
      atomic: rt.atomicResults,
    });
    if (!done) return this.#lost();
    this.#move(
      AttemptState.succeeded,
      rt.recorder.enabled ? { durationMs: Date.now() - this.#startedAt.getTime() } : undefined,
    );
    rt.stats.succeeded++;
    rt.hub.finished(task.id, result ?? null);
  }

  async #fail(err: unknown, forcedKind?: string): Promise<void> {
    const rt = this.#rt;
    const { task } = this;
    const unrecoverable = forcedKind === "result_encoding" || isUnrecoverable(err);
    const retry = !unrecoverable && task.attempts <= task.maxRetries;
    const error = toTaskError(
      err,
      retry,
      forcedKind ?? (unrecoverable ? "unrecoverable" : undefined),
    );
    if (retry) {
      const delayMs = retryDelay(task.retry, task.attempts);
      const retryAt = new Date(Date.now() + delayMs);
      await rt.queue.fail(task.id, rt.workerId, { error, retryAt });
      this.#move(AttemptState.retrying, {
        error: brief(error),
        retryAt: retryAt.toISOString(),
        delayMs,
      });
      rt.stats.retried++;
      rt.hub.enqueued(task.queue, retryAt);
      return;
    }
    const failed = await rt.queue.fail(task.id, rt.workerId, { error });
    const result = task.storeResult ? this.#result("failed", { error }) : undefined;
    if (result && rt.results) {
      try {
        await rt.results.set(result);
      } catch (e) {
        rt.logger.error({ err: e, taskId: task.id }, "omniq: could not store a failed result");
      }
    }
    this.#move(AttemptState.failed, { error: brief(error) });
    rt.stats.failed++;
    rt.hub.finished(task.id, result ?? null);
    await rt.recordCascade(failed);
  }

  async #timedOut(): Promise<void> {
    this.#rt.stats.timedOut++;
    this.#move(AttemptState.timed_out, { timeoutMs: this.task.timeoutMs });
    await this.#fail(this.#reason("timeout"), "timeout");
  }

  async #release(): Promise<void> {
    // Back in line where it was (its original runAt), not behind everything enqueued since.
    await this.#rt.queue.release(this.task.id, this.#rt.workerId, { runAt: this.task.runAt });
    this.#move(AttemptState.released);
    this.#rt.stats.released++;
    this.#rt.hub.enqueued(this.task.queue);
  }

  async #lost(): Promise<void> {
    let status: string | null = null;
    let holder: string | null = null;
    if (!this.#cancelled) {
      const current = await this.#rt.queue.get(this.task.id).catch(() => null);
      status = current?.status ?? null;
      holder = current?.status === "running" ? current.workerId : null;
    }
    if (this.#cancelled || status === "cancelled") {
      this.#move(AttemptState.cancelled);
      this.#rt.stats.cancelled++;
      return;
    }
    this.#move(AttemptState.lease_lost, { status, holder });
    this.#rt.stats.leaseLost++;
  }

  #result(status: TaskResult["status"], payload: Pick<TaskResult, "value" | "error">): TaskResult {
    const { task } = this;
    const finishedAt = new Date();
    return {
      taskId: task.id,
      status,
      ...payload,
      attempts: task.attempts,
      startedAt: task.startedAt ?? this.#startedAt,
      finishedAt,
      durationMs: finishedAt.getTime() - this.#startedAt.getTime(),
      workerId: this.#rt.workerId,
      expiresAt:
        task.resultTtlMs === null ? null : new Date(finishedAt.getTime() + task.resultTtlMs),
      name: task.name,
      queue: task.queue,
    };
  }

  #reason(kind: AbortKind): Error {
    const { id, name, timeoutMs } = this.task;
    switch (kind) {
      case "timeout":
        return new TimeoutError(`worker: task ${id} (${name}) timed out after ${timeoutMs} ms`);
      case "lease_lost":
        return new LeaseLostError(
          `worker: lost the lease of task ${id} (${name}); another worker may run it`,
          id,
        );
      case "cancelled":
        return new LeaseLostError(`worker: task ${id} (${name}) was cancelled`, id);
      case "stopping":
        return new ClosedError(
          `worker: stopping; task ${id} (${name}) is released and will run again`,
        );
    }
  }

  #move(to: AttemptState, data?: Record<string, unknown>): void {
    if (to !== this.#state && !canMove(ATTEMPT_TRANSITIONS, this.#state, to)) {
      this.#rt.logger.error(
        { taskId: this.task.id, from: this.#state, to },
        "omniq: internal error: attempt state change not in ATTEMPT_TRANSITIONS",
      );
    }
    this.#state = to;
    const type = ATTEMPT_EVENTS[to];
    if (type) this.#record(type, data);
  }

  #record(type: TaskEventType, data?: Record<string, unknown>): void {
    if (!this.#rt.recorder.enabled) return;
    this.#rt.recorder.record({
      taskId: this.task.id,
      type,
      queue: this.task.queue,
      workerId: this.#rt.workerId,
      attempt: this.task.attempts,
      data: data ?? null,
    });
  }
}
