import { hostname } from "node:os";
import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { TaskQueue } from "../contracts/queue-types.js";
import { ClosedError, TimeoutError, ValidationError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import type { Task } from "../models/task.js";
import { Attempt } from "./attempt.js";
import { usesAtomicResults } from "./atomic-results.js";
import { watchQueueChanges } from "./change-watching-queue.js";
import { CompletionBatcher } from "./completion-batcher.js";
import { EventRecorder } from "./event-recorder.js";
import { PollBackoff } from "./poll-backoff.js";
import { recordCascade } from "./record-cascade.js";
import { ScheduleWaker } from "./schedule-waker.js";
import type { TaskExecutor } from "./task-executor.js";
import { type WakeHub, wakeHubFor } from "./wake-hub.js";
import { Wakeup } from "./wakeup.js";
import {
  PREFETCH_WINDOW_MS,
  type ResolvedWorkerOptions,
  resolveWorkerOptions,
  type WorkerOptions,
} from "./worker-options.js";
import { WorkerMaintenance } from "./worker-maintenance.js";
import type { WorkerRuntime } from "./worker-runtime.js";
import { WORKER_TRANSITIONS, WorkerState, canMove } from "./worker-state.js";
import { emptyStats, type WorkerStats } from "./worker-stats.js";

/** The components a worker runs against (`AsyncOmniQ.worker()` fills these in). */
export interface WorkerComponents {
  queue: TaskQueue;
  results?: ResultStorage | undefined;
  /** Event recorder shared with the facade; without one, no events are written. */
  recorder?: EventRecorder | undefined;
  /** Default executor when `options.executor` is not given. */
  executor?: TaskExecutor | undefined;
  logger?: Logger | undefined;
  /** Called once the worker has stopped. */
  onStopped?: (() => void) | undefined;
}

function defaultWorkerId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9_.-]/g, "_")
    .replace(/\.\.+/g, ".")
    .replace(/^[.-]+/, "")
    .slice(0, 60);
  const rand = Math.random().toString(36).slice(2, 8);
  return `${host || "host"}-${process.pid}-${rand}`;
}

/**
 * Claims tasks from its queues and runs them, `concurrency` at a time. Create one with
 * `omniq.worker(options)`; see {@link WorkerOptions} for the knobs and {@link WorkerState}
 * / `AttemptState` for the state machines.
 *
 * @example
 * ```ts
 * const worker = omniq.worker({ queues: ["emails", "default"], concurrency: 20 });
 * await worker.start();          // returns once claiming has begun
 * // ...
 * await worker.stop();           // graceful: in-flight tasks finish or are released
 *
 * // scripts and tests: run until nothing is due, then stop
 * await omniq.worker().runUntilIdle({ timeoutMs: 10_000 });
 *
 * // a worker process: runs until SIGINT/SIGTERM
 * await omniq.worker().run();
 * ```
 */
export class Worker {
  /** The lease holder id written on claimed tasks. */
  readonly id: string;
  readonly options: Readonly<ResolvedWorkerOptions>;
  readonly #queue: TaskQueue;
  readonly #logger: Logger;
  readonly #hub: WakeHub;
  readonly #rt: WorkerRuntime;
  readonly #maintenance: WorkerMaintenance;
  readonly #scheduleWaker: ScheduleWaker;
  readonly #stats = emptyStats();
  /** Every attempt this worker holds a lease for: running, settling or claimed ahead. */
  readonly #active = new Map<string, Attempt>();
  /** Claimed ahead (prefetched), in claim order; started as slots free up. */
  #buffer: Attempt[] = [];
  /** Average handler duration (ms, moving average); undefined until one has finished. */
  #avgHandlerMs: number | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  readonly #attempts = new Set<Promise<void>>();
  readonly #wake = new Wakeup();
  readonly #tickWake = new Wakeup();
  readonly #graceWake = new Wakeup();
  readonly #idleWaiters = new Set<() => void>();
  readonly #unsubscribe: Array<() => void> = [];
  readonly #onStopped: (() => void) | undefined;
  #state: WorkerState = WorkerState.created;
  #handlers = 0;
  #loopDone: Promise<void> = Promise.resolve();
  #tickerDone: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  #resolveStopped!: () => void;
  readonly #stopped = new Promise<void>((r) => {
    this.#resolveStopped = r;
  });
  #dueTimer: NodeJS.Timeout | undefined;
  #dueAt = Number.POSITIVE_INFINITY;

  /** Prefer `omniq.worker(options)`, which shares the facade's handlers, events and wake-ups. */
  constructor(components: WorkerComponents, options: WorkerOptions = {}) {
    this.options = resolveWorkerOptions(options);
    this.id = this.options.workerId ?? defaultWorkerId();
    this.#queue = components.queue;
    this.#logger = options.logger ?? components.logger ?? silentLogger;
    this.#hub = wakeHubFor(components.queue);
    this.#onStopped = components.onStopped;
    const executor = options.executor ?? components.executor;
    if (!executor) {
      throw new ValidationError(
        "executor",
        "worker: executor: none given; pass options.executor, or create the worker with omniq.worker()",
      );
    }
    const recorder = components.recorder ?? new EventRecorder(undefined, { logger: this.#logger });
    this.#rt = {
      queue: components.queue,
      results: components.results,
      atomicResults: usesAtomicResults(components.queue, components.results),
      recorder,
      hub: this.#hub,
      executor,
      batcher: new CompletionBatcher(components.queue, components.results, {
        flushMs: this.options.completionFlushMs,
        maxBatch: this.options.concurrency + this.options.prefetch,
        logger: this.#logger,
      }),
      logger: this.#logger,
      workerId: this.id,
      leaseMs: this.options.leaseMs,
      stats: this.#stats,
      recordCascade: (task) =>
        recordCascade(components.queue, recorder, this.#hub, this.#logger, task),
    };
    this.#maintenance = new WorkerMaintenance(this.#rt);
    this.#scheduleWaker = new ScheduleWaker(
      components.queue,
      this.options.scheduleTickMs,
      this.#logger,
    );
  }

  get state(): WorkerState {
    return this.#state;
  }

  /** Counters since start (a copy). */
  get stats(): WorkerStats {
    return { ...this.#stats, inFlight: this.#handlers, prefetched: this.#buffer.length };
  }

  /** Starts claiming; resolves once started. Signals are handled only if `handleSignals: true`. */
  async start(): Promise<void> {
    await this.#start(this.options.handleSignals ?? false);
  }

  /**
   * Starts and resolves with the stats when the worker has stopped: on `stop()`, or on
   * SIGINT/SIGTERM (`handleSignals` defaults to true here). On a worker that is already
   * stopping or stopped (say `start()`, then a signal, then `run()`), it does not start it
   * again: it waits for the stop and resolves with the stats.
   */
  async run(): Promise<WorkerStats> {
    if (this.#state === WorkerState.stopping || this.#state === WorkerState.stopped) {
      await this.#stopped;
      return this.stats;
    }
    await this.#start(this.options.handleSignals ?? true);
    await this.#stopped;
    return this.stats;
  }

  /**
   * Runs until no task is due in its queues and nothing is in flight (tasks due later,
   * such as retries waiting for their backoff, do not count), then stops if this call
   * started it. Rejects with `TimeoutError` after `timeoutMs` (the worker is then stopped
   * at once if this call started it, releasing what was running).
   */
  async runUntilIdle(options: { timeoutMs?: number } = {}): Promise<WorkerStats> {
    const startedHere = this.#state === WorkerState.created;
    if (startedHere) await this.start();
    else if (this.#state !== WorkerState.running) {
      throw new ClosedError(`worker ${this.id}: runUntilIdle() on a ${this.#state} worker`);
    }
    let timedOut = false;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer =
          options.timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                this.#idleWaiters.delete(done);
                timedOut = true;
                reject(
                  new TimeoutError(
                    `worker ${this.id}: still busy after timeoutMs ${options.timeoutMs} (runUntilIdle)`,
                  ),
                );
              }, options.timeoutMs);
        const done = (): void => {
          if (timer) clearTimeout(timer);
          resolve();
        };
        this.#idleWaiters.add(done);
        this.#stopped.then(done);
        this.#wake.wake();
      });
    } finally {
      if (startedHere) await this.stop(timedOut ? { gracefulStopMs: 0 } : {});
    }
    return this.stats;
  }

  /**
   * Stops claiming, lets in-flight tasks finish for up to `gracefulStopMs`, then aborts the
   * rest and releases them without using an attempt. Flushes completions and events, and
   * closes the executor. Safe to call twice.
   */
  stop(options: { gracefulStopMs?: number } = {}): Promise<void> {
    if (this.#state === WorkerState.created) {
      this.#move(WorkerState.stopped);
      this.#stopping = this.#closeExecutor().then(() => {
        this.#resolveStopped();
        this.#onStopped?.();
      });
    }
    this.#stopping ??= this.#stop(options.gracefulStopMs ?? this.options.gracefulStopMs);
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #start(handleSignals: boolean): Promise<void> {
    if (this.#state === WorkerState.running) return;
    if (this.#state !== WorkerState.created) {
      throw new ClosedError(
        `worker ${this.id}: cannot start a ${this.#state} worker; create a new one`,
      );
    }
    this.#move(WorkerState.running);
    const mine = new Set(this.options.queues);
    this.#unsubscribe.push(
      this.#hub.onEnqueued((queue, runAt) => {
        if (mine.has(queue)) this.#wakeAt(runAt.getTime());
      }),
      this.#hub.onCancelled((taskId) => this.#active.get(taskId)?.abort("cancelled")),
      this.#hub.onSchedulesChanged(() => {
        this.#scheduleWaker.markStale();
        this.#tickWake.wake();
      }),
    );
    try {
      this.#unsubscribe.push(watchQueueChanges(this.#queue, () => this.#wake.wake()));
    } catch (err) {
      this.#logger.warn(
        { err, workerId: this.id },
        "omniq: queue.watchChanges failed; polling only",
      );
    }
    if (handleSignals) this.#installSignals();
    this.#logger.info(
      { workerId: this.id, queues: this.options.queues, concurrency: this.options.concurrency },
      "omniq: worker started",
    );
    await this.#maintenance.sweep();
    if (this.options.schedules) await this.#checkSchedules();
    const renewMs = Math.max(1, Math.floor(this.options.leaseMs / 3));
    this.#renewTimer = setInterval(() => this.#renewLeases(), renewMs);
    this.#renewTimer.unref?.();
    this.#loopDone = this.#loop();
    this.#tickerDone = this.#ticker();
  }

  async #stop(gracefulStopMs: number): Promise<void> {
    this.#move(WorkerState.stopping);
    this.#logger.info({ workerId: this.id, inFlight: this.#handlers }, "omniq: worker stopping");
    if (this.#dueTimer) clearTimeout(this.#dueTimer);
    this.#wake.wake();
    this.#tickWake.wake();
    await this.#loopDone;
    await this.#tickerDone;
    // Claimed ahead but not started: back to the queue at once, without using an attempt.
    for (const attempt of this.#buffer.splice(0)) this.#track(attempt, attempt.giveBack());
    if (this.#attempts.size > 0) {
      const graceOver = this.#graceWake.wait(gracefulStopMs);
      const settled = this.#allSettled();
      await Promise.race([graceOver, settled]);
      this.#graceWake.wake();
    }
    for (const attempt of this.#active.values()) attempt.abort("stopping");
    await this.#allSettled();
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    await this.#rt.batcher.flush();
    for (const off of this.#unsubscribe.splice(0)) off();
    await this.#closeExecutor();
    await this.#rt.recorder.flush();
    this.#move(WorkerState.stopped);
    this.#logger.info({ workerId: this.id, stats: this.stats }, "omniq: worker stopped");
    this.#resolveStopped();
    for (const w of this.#idleWaiters) w();
    this.#onStopped?.();
  }

  async #closeExecutor(): Promise<void> {
    try {
      await this.#rt.executor.close();
    } catch (err) {
      this.#logger.warn({ err, workerId: this.id }, "omniq: executor close failed");
    }
  }

  async #allSettled(): Promise<void> {
    while (this.#attempts.size > 0) await Promise.allSettled([...this.#attempts]);
  }

  #move(to: WorkerState): void {
    if (!canMove(WORKER_TRANSITIONS, this.#state, to)) {
      throw new ClosedError(`worker ${this.id}: cannot go from ${this.#state} to ${to}`);
    }
    this.#state = to;
  }

  /** How many tasks to hold beyond the running ones: what should start within the window. */
  #prefetchLimit(): number {
    const { prefetch, concurrency } = this.options;
    const avg = this.#avgHandlerMs;
    if (prefetch === 0 || avg === undefined) return 0;
    return Math.min(
      prefetch,
      Math.floor((concurrency * PREFETCH_WINDOW_MS) / Math.max(avg, 0.001)),
    );
  }

  async #loop(): Promise<void> {
    const { concurrency, batchSize, queues, leaseMs, pollMin, pollMax } = this.options;
    const backoff = new PollBackoff(pollMin, pollMax);
    while (this.#state === WorkerState.running) {
      const ahead = this.#prefetchLimit();
      // Claim when a slot is idle, or when the claimed-ahead tasks have run down to half.
      if (this.#handlers >= concurrency && this.#buffer.length > ahead / 2) {
        await this.#wake.wait(pollMax);
        continue;
      }
      // Let handlers finishing in this same turn free their slots too: one bigger claim, not many small ones.
      if (this.#handlers > 0) await new Promise((r) => setImmediate(r));
      const room = concurrency + this.#prefetchLimit() - this.#handlers - this.#buffer.length;
      if (room <= 0) continue;
      let tasks: Task[];
      try {
        tasks = await this.#queue.dequeueMany({
          queues,
          workerId: this.id,
          leaseMs,
          limit: Math.min(room, batchSize),
        });
      } catch (err) {
        if (err instanceof ClosedError) {
          this.#logger.error({ err, workerId: this.id }, "omniq: queue closed; worker stops");
          void this.stop({ gracefulStopMs: 0 });
          return;
        }
        this.#logger.warn({ err, workerId: this.id }, "omniq: claim failed; retrying");
        await this.#wake.wait(pollMax);
        continue;
      }
      if (tasks.length > 0) {
        backoff.reset();
        for (const task of tasks) this.#begin(task);
        continue;
      }
      if (
        this.#attempts.size === 0 &&
        this.#buffer.length === 0 &&
        this.#rt.batcher.pending === 0
      ) {
        for (const w of this.#idleWaiters) w();
        this.#idleWaiters.clear();
      }
      await this.#wake.wait(backoff.next());
    }
  }

  #begin(task: Task): void {
    this.#stats.claimed++;
    const attempt = new Attempt(task, this.#rt);
    this.#logger.debug(
      { taskId: task.id, name: task.name, queue: task.queue, attempt: task.attempts },
      "omniq: claimed",
    );
    if (this.#state !== WorkerState.running) {
      this.#track(attempt, attempt.giveBack());
      return;
    }
    this.#active.set(task.id, attempt);
    if (this.#handlers < this.options.concurrency) this.#startAttempt(attempt);
    else this.#buffer.push(attempt);
  }

  #startAttempt(attempt: Attempt): void {
    this.#handlers++;
    const t0 = performance.now();
    this.#track(
      attempt,
      attempt.run(() => {
        this.#handlers--;
        const ms = performance.now() - t0;
        this.#avgHandlerMs =
          this.#avgHandlerMs === undefined ? ms : this.#avgHandlerMs * 0.9 + ms * 0.1;
        const next = this.#state === WorkerState.running ? this.#buffer.shift() : undefined;
        if (next) this.#startAttempt(next);
        this.#wake.wake();
      }),
    );
  }

  /** Extends the lease of every task held: running, and claimed ahead. */
  #renewLeases(): void {
    for (const attempt of this.#active.values()) void attempt.renew();
  }

  #track(attempt: Attempt, run: Promise<void>): void {
    const p = run.finally(() => {
      if (this.#active.get(attempt.task.id) === attempt) this.#active.delete(attempt.task.id);
      this.#attempts.delete(p);
      this.#wake.wake();
    });
    this.#attempts.add(p);
  }

  /** Wakes the claim loop at `at` (now if due), keeping one timer for the earliest time. */
  #wakeAt(at: number): void {
    if (this.#state !== WorkerState.running) return;
    const delay = at - Date.now();
    if (delay <= 0) {
      this.#wake.wake();
      return;
    }
    if (at >= this.#dueAt) return;
    if (this.#dueTimer) clearTimeout(this.#dueTimer);
    this.#dueAt = at;
    this.#dueTimer = setTimeout(() => {
      this.#dueTimer = undefined;
      this.#dueAt = Number.POSITIVE_INFINITY;
      // A timer can fire a millisecond before the wall clock reaches `at` (timers run on a
      // monotonic clock): a claim then would find nothing due, so wait out the rest.
      if (Date.now() < at) this.#wakeAt(at);
      else this.#wake.wake();
    }, delay);
    this.#dueTimer.unref?.();
  }

  /** Fires due schedule ticks when one is due (or the periodic re-check is). */
  #checkSchedules(): Promise<void> {
    return this.#scheduleWaker.check(new Date(), (now) => this.#maintenance.fireSchedules(now));
  }

  /**
   * Fires schedules at the earliest `nextRunAt` of the active ones (re-read at least every
   * `scheduleTickMs`) and sweeps every `maintenanceMs`.
   */
  async #ticker(): Promise<void> {
    const { maintenanceMs, schedules } = this.options;
    let nextSweep = Date.now() + maintenanceMs;
    while (this.#state === WorkerState.running) {
      const nextSchedule = schedules ? this.#scheduleWaker.nextCheckAt() : Infinity;
      const wakeIn = Math.min(nextSchedule, nextSweep) - Date.now();
      await this.#tickWake.wait(wakeIn, true);
      if (this.#state !== WorkerState.running) return;
      const now = Date.now();
      if (schedules && now >= this.#scheduleWaker.nextCheckAt()) await this.#checkSchedules();
      if (now >= nextSweep) {
        await this.#maintenance.sweep();
        nextSweep = Date.now() + maintenanceMs;
      }
    }
  }

  #installSignals(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.#state === WorkerState.running) {
        this.#logger.info(
          { signal, workerId: this.id },
          "omniq: signal received; stopping gracefully",
        );
        void this.stop();
      } else {
        this.#logger.warn(
          { signal, workerId: this.id },
          "omniq: second signal; aborting in-flight tasks",
        );
        this.#graceWake.wake();
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    this.#unsubscribe.push(() => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    });
  }
}
