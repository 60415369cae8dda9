import type { Backend } from "../contracts/backend.js";
import type { EventStorage } from "../contracts/base-event-storage.js";
import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { Page } from "../contracts/common.js";
import type { TaskQueue } from "../contracts/queue-types.js";
import { ClosedError, ConfigError, ValidationError } from "../errors.js";
import { validateId } from "../ids.js";
import { prepareTask, validateTaskName } from "../internal/normalize-task.js";
import { type Logger, silentLogger } from "../logger.js";
import type { EventQuery, TaskEvent } from "../models/event.js";
import type { TaskResult } from "../models/result.js";
import type { NewSchedule, Schedule } from "../models/schedule.js";
import type { Task } from "../models/task.js";
import { canTransition } from "../models/transitions.js";
import { EventRecorder } from "../worker/event-recorder.js";
import { InProcessExecutor } from "../worker/in-process-executor.js";
import { recordCascade } from "../worker/record-cascade.js";
import type { HandlerMap } from "../worker/task-executor.js";
import { type WakeHub, wakeHubFor } from "../worker/wake-hub.js";
import { Worker } from "../worker/worker.js";
import type { WorkerOptions } from "../worker/worker-options.js";
import { type ResultOptions, waitForResult } from "./result-waiter.js";
import {
  type AnyHandler,
  createTaskDefinition,
  type TaskArgs,
  type TaskDefinition,
  type TaskDefinitionHost,
  type TaskReturn,
} from "./task-definition.js";
import {
  type EnqueueOptions,
  mergeOptions,
  scheduledTaskOptions,
  type TaskOptions,
  type TaskRequest,
  toNewTask,
} from "./task-options.js";

/** What every {@link AsyncOmniQOptions} variant has: the components, or a backend, plus tuning. */
export interface AsyncOmniQBaseOptions {
  /**
   * Takes the queue, result storage and event storage from one backend (e.g.
   * `new SQLiteBackend({ path })`) and closes the backend on `close()`. `queue`, `results`
   * and `events` given alongside override its components; `results: null` /
   * `events: null` switch one off.
   */
  backend?: Backend | undefined;
  /** The task queue. Required unless `backend` is given. */
  queue?: TaskQueue | undefined;
  /**
   * Where results are stored; without it `result()` still reports status and errors, not
   * values. `null`: none, even with a `backend`. @defaultValue the backend's, else none
   */
  results?: ResultStorage | null | undefined;
  /**
   * Where lifecycle events are recorded; without it nothing is recorded. `null`: none, even
   * with a `backend`. @defaultValue the backend's, else none
   */
  events?: EventStorage | null | undefined;
  /** Library logging (pino-compatible). @defaultValue silent */
  logger?: Logger | undefined;
  /** How long events collect before one `appendMany`. @defaultValue 2 */
  eventFlushMs?: number;
  /** `result()` polling interval (when the task runs in another process). @defaultValue { min: 10, max: 1000 } */
  resultPollMs?: { min?: number; max?: number };
}

/**
 * The components of an {@link AsyncOmniQ}, each possibly from a different backend: a `queue`
 * (plus optional `results` / `events`), or a `backend` that supplies all three.
 *
 * @example
 * ```ts
 * new AsyncOmniQ({ queue, results, events });
 * new AsyncOmniQ({ backend: new SQLiteBackend({ path: "omniq.db" }) });
 * new AsyncOmniQ({ backend, events: null });                    // no event recording
 * new AsyncOmniQ({ backend, results: new AsyncFileResultStorage({ baseDir: "./results" }) });
 * ```
 */
export type AsyncOmniQOptions =
  | (AsyncOmniQBaseOptions & { queue: TaskQueue })
  | (AsyncOmniQBaseOptions & { backend: Backend });

function isBackend(value: unknown): value is Backend {
  const b = value as Partial<Backend> | null;
  return (
    typeof b === "object" &&
    b !== null &&
    typeof b.queue === "function" &&
    typeof b.results === "function" &&
    typeof b.events === "function" &&
    typeof b.close === "function"
  );
}

/** The queue, results and events of the options: explicit ones first, then the backend's. */
function pickComponents(options: AsyncOmniQOptions): {
  queue: TaskQueue;
  results: ResultStorage | undefined;
  events: EventStorage | undefined;
  backend: Backend | undefined;
} {
  if (options === null || typeof options !== "object") {
    throw new ValidationError(
      "options",
      "omniq: expected options { queue, results?, events? } or { backend }",
    );
  }
  const backend = options.backend ?? undefined;
  if (backend !== undefined && !isBackend(backend)) {
    throw new ValidationError(
      "backend",
      "omniq: backend: expected a Backend with queue(), results(), events() and close() (e.g. new SQLiteBackend(...))",
    );
  }
  const queue = options.queue ?? backend?.queue();
  if (!queue || typeof queue.dequeueMany !== "function") {
    throw new ValidationError(
      "queue",
      "omniq: queue: expected a TaskQueue (e.g. new AsyncSQLiteQueue(...)), or pass backend",
    );
  }
  const pick = <T>(given: T | null | undefined, fromBackend: (() => T) | undefined) =>
    given === null ? undefined : (given ?? fromBackend?.());
  return {
    queue,
    results: pick(options.results, backend && (() => backend.results())),
    events: pick(options.events, backend && (() => backend.events())),
    backend,
  };
}

interface Registered {
  handler: AnyHandler;
  options: TaskOptions;
}

/**
 * The async facade: define typed tasks, enqueue them, wait for results, cancel, retry,
 * schedule, read events, and run workers. Components are passed in (any queue with any
 * result and event storage), or taken from one `backend`, and closed by `close()`.
 *
 * @example
 * ```ts
 * await using omniq = new AsyncOmniQ({
 *   queue: new AsyncSQLiteQueue({ path: "omniq.db" }),
 *   results: new AsyncFileResultStorage({ baseDir: "./results" }),
 * });
 * // or everything from one backend:
 * // new AsyncOmniQ({ backend: new SQLiteBackend({ path: "omniq.db" }) })
 * const add = omniq.task("add", (a: number, b: number) => a + b);
 * const h = await add.enqueue(1, 2);
 * await omniq.worker().runUntilIdle();
 * const r = await h.result();   // TaskResult<number>: { status: "success", value: 3, ... }
 * ```
 */
export class AsyncOmniQ implements TaskDefinitionHost {
  readonly queue: TaskQueue;
  readonly results: ResultStorage | undefined;
  readonly eventStorage: EventStorage | undefined;
  /** The backend the components came from (closed by `close()`), when one was given. */
  readonly backend: Backend | undefined;
  readonly logger: Logger;
  readonly #registry = new Map<string, Registered>();
  readonly #recorder: EventRecorder;
  readonly #hub: WakeHub;
  readonly #workers = new Set<Worker>();
  readonly #pollMin: number;
  readonly #pollMax: number;
  #closing: Promise<void> | undefined;

  constructor(options: AsyncOmniQOptions) {
    const { queue, results, events, backend } = pickComponents(options);
    this.queue = queue;
    this.results = results;
    this.eventStorage = events;
    this.backend = backend;
    this.logger = options.logger ?? silentLogger;
    this.#recorder = new EventRecorder(events, {
      flushMs: options.eventFlushMs ?? 2,
      logger: this.logger,
    });
    this.#hub = wakeHubFor(queue);
    this.#pollMin = Math.max(1, options.resultPollMs?.min ?? 10);
    this.#pollMax = Math.max(this.#pollMin, options.resultPollMs?.max ?? 1000);
  }

  // ---- definitions ----

  /**
   * Registers a handler under `name` and returns the typed task. The handler gets the
   * task's args, then a {@link TaskContext} as an extra last argument; `enqueue()` takes
   * the handler's parameters without that context, and results are typed by its return.
   *
   * @example
   * ```ts
   * const resize = omniq.task(
   *   "images.resize",
   *   async (url: string, width: number, ctx?: TaskContext) => {
   *     await ctx?.progress({ step: "download" });
   *     return { url, width };
   *   },
   *   { queue: "images", timeoutMs: 30_000, retry: { backoff: "exponential", delayMs: 500 } },
   * );
   * await resize.enqueue("https://example.com/a.png", 200);
   * ```
   */
  task<H extends AnyHandler>(
    name: string,
    handler: H,
    options: TaskOptions = {},
  ): TaskDefinition<TaskArgs<H>, TaskReturn<H>> {
    this.#assertOpen();
    validateTaskName(name);
    if (typeof handler !== "function") {
      throw new ValidationError(
        "handler",
        `omniq.task(${JSON.stringify(name)}): handler: expected a function`,
      );
    }
    if (this.#registry.has(name)) {
      throw new ValidationError(
        "name",
        `omniq.task: a task named ${JSON.stringify(name)} is already defined in this AsyncOmniQ`,
      );
    }
    prepareTask(toNewTask({ ...options, name }), new Date());
    this.#registry.set(name, { handler, options: { ...options } });
    return createTaskDefinition<TaskArgs<H>, TaskReturn<H>>(this, name, options);
  }

  /** The handler registered under `name` (executors use this). */
  handler(name: string): HandlerMap[string] | undefined {
    return this.#registry.get(name)?.handler as HandlerMap[string] | undefined;
  }

  /** Names of the registered tasks. */
  get taskNames(): string[] {
    return [...this.#registry.keys()];
  }

  // ---- enqueue ----

  /**
   * Enqueues by name (untyped). The registered task's options apply, then `options`.
   *
   * @example
   * ```ts
   * await omniq.enqueue("add", [1, 2], { delayMs: 500, id: "add-1-2" });
   * ```
   */
  async enqueue(
    name: string,
    args: readonly unknown[] = [],
    options: EnqueueOptions = {},
  ): Promise<Task> {
    const [task] = await this.#enqueue([{ ...options, name, args }], true);
    return task!;
  }

  /**
   * Enqueues several tasks in one batch (one transaction where the queue supports it);
   * build items with `def.request(...args)` or as `{ name, args, ...options }`.
   *
   * @example
   * ```ts
   * await omniq.enqueueMany([add.request(1, 2), { name: "email", args: ["a@b.c"], priority: 5 }]);
   * ```
   */
  async enqueueMany(requests: readonly TaskRequest[]): Promise<Task[]> {
    if (!Array.isArray(requests)) {
      throw new ValidationError(
        "requests",
        "omniq.enqueueMany: expected an array of task requests",
      );
    }
    return this.#enqueue(requests, false);
  }

  async #enqueue(requests: readonly TaskRequest[], single: boolean): Promise<Task[]> {
    this.#assertOpen();
    const tasks = requests.map((r) => {
      const def = this.#registry.get(r?.name);
      return toNewTask(def ? { ...mergeOptions(def.options, r), name: r.name, args: r.args } : r);
    });
    const before = Date.now();
    const stored = single
      ? [await this.queue.enqueue(tasks[0]!)]
      : await this.queue.enqueueMany(tasks);
    const due = new Map<string, Date>();
    for (const t of stored) {
      if (t.createdAt.getTime() < before) continue;
      this.#record(t, "enqueued", {
        name: t.name,
        priority: t.priority,
        runAt: t.runAt.toISOString(),
      });
      if (t.status === "cancelled") {
        this.#record(t, "cancelled", { reason: t.cancelReason });
        this.#hub.finished(t.id);
        continue;
      }
      const prev = due.get(t.queue);
      if (!prev || t.runAt < prev) due.set(t.queue, t.runAt);
    }
    for (const [queue, runAt] of due) this.#hub.enqueued(queue, runAt);
    return stored;
  }

  // ---- reading and waiting ----

  get(id: string): Promise<Task | null> {
    return this.queue.get(id);
  }

  /**
   * Waits for the task to finish and resolves with its {@link TaskResult} (a failed task
   * resolves too: check `status`). A worker in this process wakes the wait at once;
   * otherwise the result storage and queue are polled with back-off. Cancelled and expired
   * tasks resolve as `failed` with `error.kind` `"cancelled"` / `"expired"`. Without result
   * storage (or with `storeResult: false`) a success carries no `value` unless it finished
   * in this process while waited for. Rejects with `TimeoutError` after `waitMs`, and with
   * `NotFoundError` for an unknown id.
   *
   * @example
   * ```ts
   * const r = await omniq.result<number>(id, { waitMs: 10_000 });
   * ```
   */
  result<R = unknown>(id: string, options: ResultOptions = {}): Promise<TaskResult<R>> {
    this.#assertOpen();
    return waitForResult<R>(
      {
        queue: this.queue,
        results: this.results,
        hub: this.#hub,
        pollMin: this.#pollMin,
        pollMax: this.#pollMax,
      },
      id,
      options,
    );
  }

  // ---- operator actions ----

  /**
   * Cancels a task. Pending: it never runs. Running: its `signal` fires — at once for a
   * worker in this process; a worker elsewhere finds out at its next heartbeat (its lease
   * is gone). Pending dependents are cancelled too.
   */
  async cancel(id: string, reason?: string): Promise<Task> {
    this.#assertOpen();
    const task = await this.queue.cancel(id, reason);
    this.#record(task, "cancelled", { reason: task.cancelReason });
    this.#hub.cancelled(task.id);
    this.#hub.finished(task.id);
    await recordCascade(this.queue, this.#recorder, this.#hub, this.logger, task);
    return task;
  }

  /**
   * Runs a failed, cancelled or expired task again from attempt 1 (the dead-letter
   * redrive); its old stored result is deleted first.
   */
  async retry(id: string, options: { runAt?: Date } = {}): Promise<Task> {
    this.#assertOpen();
    const current = await this.queue.get(validateId(id));
    if (current && canTransition("redrive", current.status) && this.results) {
      await this.results.delete(id);
    }
    const task = await this.queue.redrive(id, options);
    this.#record(task, "redriven", { runAt: task.runAt.toISOString() });
    this.#hub.enqueued(task.queue, task.runAt);
    return task;
  }

  // ---- events ----

  /** Every recorded event of one task, oldest first. Needs event storage. */
  async events(taskId: string): Promise<TaskEvent[]> {
    const storage = this.#events();
    await this.#recorder.flush();
    const out: TaskEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await storage.query({ taskId, limit: 1000, cursor });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }

  /** One page of events matching `query` (task, queue, types, time range). Needs event storage. */
  async queryEvents(query: EventQuery = {}): Promise<Page<TaskEvent>> {
    const storage = this.#events();
    await this.#recorder.flush();
    return storage.query(query);
  }

  /** Writes the events recorded so far (they are batched for a few ms). */
  flushEvents(): Promise<void> {
    return this.#recorder.flush();
  }

  #events(): EventStorage {
    this.#assertOpen();
    if (!this.eventStorage) {
      throw new ConfigError(
        "events",
        "omniq: no event storage configured; pass `events` to new AsyncOmniQ(...) to record task events",
      );
    }
    return this.eventStorage;
  }

  // ---- schedules ----

  /**
   * Adds (or updates, by `id`) a schedule: `cron` (+ `timezone`), `everyMs` or `at`.
   * A registered task's options apply to the tasks it enqueues. Workers fire due ticks.
   *
   * @example
   * ```ts
   * await omniq.schedule({ id: "nightly-report", name: "report", args: ["daily"], cron: "0 3 * * *", timezone: "Europe/Paris" });
   * await omniq.schedule({ name: "ping", everyMs: 60_000, maxRuns: 10 });
   * ```
   */
  async schedule(schedule: NewSchedule): Promise<Schedule> {
    this.#assertOpen();
    const def = this.#registry.get(schedule?.name);
    const input: NewSchedule = def
      ? {
          ...schedule,
          queue: schedule.queue ?? def.options.queue,
          taskOptions: { ...scheduledTaskOptions(def.options), ...schedule.taskOptions },
        }
      : schedule;
    const added = await this.queue.addSchedule(input);
    this.#hub.schedulesChanged();
    return added;
  }

  async pauseSchedule(id: string): Promise<Schedule> {
    this.#assertOpen();
    const s = await this.queue.pauseSchedule(id);
    this.#hub.schedulesChanged();
    this.#recorder.record({ taskId: s.id, type: "schedule_paused", queue: s.queue });
    return s;
  }

  async resumeSchedule(id: string): Promise<Schedule> {
    this.#assertOpen();
    const s = await this.queue.resumeSchedule(id);
    this.#hub.schedulesChanged();
    this.#recorder.record({
      taskId: s.id,
      type: "schedule_resumed",
      queue: s.queue,
      data: { nextRunAt: s.nextRunAt?.toISOString() ?? null },
    });
    return s;
  }

  async removeSchedule(id: string): Promise<boolean> {
    this.#assertOpen();
    const removed = await this.queue.removeSchedule(id);
    this.#hub.schedulesChanged();
    return removed;
  }

  getSchedule(id: string): Promise<Schedule | null> {
    return this.queue.getSchedule(id);
  }

  schedules(options: { status?: Schedule["status"] } = {}): Promise<Schedule[]> {
    return this.queue.listSchedules(options);
  }

  // ---- workers and lifecycle ----

  /**
   * A worker running this facade's handlers (or `options.executor`). Not started:
   * call `start()`, `run()` or `runUntilIdle()`. `close()` stops it.
   *
   * @example
   * ```ts
   * const worker = omniq.worker({ queues: ["images", "default"], concurrency: 4 });
   * await worker.start();
   * ```
   */
  worker(options: WorkerOptions = {}): Worker {
    this.#assertOpen();
    const worker: Worker = new Worker(
      {
        queue: this.queue,
        results: this.results,
        recorder: this.#recorder,
        executor: options.executor ? undefined : new InProcessExecutor((n) => this.handler(n)),
        logger: this.logger,
        onStopped: () => this.#workers.delete(worker),
      },
      options,
    );
    this.#workers.add(worker);
    return worker;
  }

  /** Stops its workers (gracefully), writes pending events, then closes the components and the backend. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    await Promise.allSettled([...this.#workers].map((w) => w.stop()));
    await this.#recorder.flush();
    const components = [
      ...new Set<{ close(): Promise<void> }>(
        [this.queue, this.results, this.eventStorage].filter((c) => c !== undefined),
      ),
    ];
    if (this.backend) components.push(this.backend);
    const errors: unknown[] = [];
    for (const c of components) {
      try {
        await c.close();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  #assertOpen(): void {
    if (this.#closing) throw new ClosedError("omniq: used after close()");
  }

  #record(task: Task, type: TaskEvent["type"], data: Record<string, unknown> | null): void {
    this.#recorder.record({ taskId: task.id, type, queue: task.queue, data });
  }
}
