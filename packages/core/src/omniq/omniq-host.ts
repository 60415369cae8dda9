import { ConfiguredOmniQ } from "../config/create-omniq.js";
import { loadConfig } from "../config/load-config.js";
import { buildComponents, resolveComponent } from "../config/resolve-component.js";
import type { EventStorage } from "../contracts/base-event-storage.js";
import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { Page } from "../contracts/common.js";
import type { TaskQueue } from "../contracts/queue-types.js";
import { ClosedError, ConfigError, ValidationError } from "../errors.js";
import { consoleLogger, type Logger, silentLogger } from "../logger.js";
import type { EventQuery, TaskEvent } from "../models/event.js";
import type { TaskResult } from "../models/result.js";
import type { NewSchedule, Schedule } from "../models/schedule.js";
import type { Task } from "../models/task.js";
import type { BlockingSpec } from "../sync/protocol.js";
import type { Worker } from "../worker/worker.js";
import type { WorkerState } from "../worker/worker-state.js";
import type { WorkerStats } from "../worker/worker-stats.js";
import { AsyncOmniQ, type AsyncOmniQOptions } from "./async-omniq.js";
import type { HostComponent, OmniQHostInfo, OmniQHostSpec } from "./omniq-host-spec.js";
import { loadTaskModule } from "./omniq-host-tasks.js";
import type { BlockingResultOptions, BlockingWorkerOptions } from "./omniq-sync-types.js";
import type { TaskRequest } from "./task-options.js";

type Kind = "queue" | "results" | "events";
type Closable = { close(): Promise<void> };

const METHOD: Record<Kind, string> = { queue: "dequeueMany", results: "set", events: "append" };

/** A component rebuilt from a blocking twin's spec: `new (await import(module))[exportName](...args)`. */
async function fromTwin(kind: Kind, spec: BlockingSpec): Promise<unknown> {
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const ctor = mod[spec.exportName];
  if (typeof ctor !== "function") {
    throw new ConfigError(
      kind,
      `omniq: ${kind}: ${spec.module} has no class export named "${spec.exportName}"`,
    );
  }
  const built = new (ctor as new (...args: unknown[]) => Record<string, unknown>)(...spec.args);
  if (typeof built.close !== "function" || typeof built[METHOD[kind]] !== "function") {
    await (built.close as (() => Promise<void>) | undefined)?.call(built);
    throw new ConfigError(
      kind,
      `omniq: ${kind}: the blocking twin's component ${spec.exportName} is not a ${kind === "queue" ? "task queue" : kind === "results" ? "result storage" : "event storage"} (no ${METHOD[kind]}())`,
    );
  }
  return built;
}

function build(kind: Kind, component: HostComponent, cwd: string): Promise<unknown> {
  return component.from === "twin"
    ? fromTwin(kind, component.spec)
    : resolveComponent(kind, component.config, { cwd });
}

function loggerFor(level: OmniQHostSpec["logLevel"]): Logger | undefined {
  if (level === undefined) return undefined;
  return level === "silent" ? silentLogger : consoleLogger(level);
}

/**
 * The async side of the blocking `OmniQ`: runs an {@link AsyncOmniQ} inside the bridge's worker
 * thread, with the handlers of the task module registered and the components built there.
 * Internal: the blocking `OmniQ` creates it through the sync bridge and calls it; every method
 * takes plain data so that arguments cross by structured clone and errors name the same
 * fields as the async API.
 */
export class OmniQHost {
  readonly #spec: OmniQHostSpec;
  readonly #workers = new Map<number, Worker>();
  #omniq: AsyncOmniQ | undefined;
  #opening: Promise<OmniQHostInfo> | undefined;
  #nextWorker = 1;

  constructor(spec: OmniQHostSpec) {
    this.#spec = spec;
  }

  /** Imports the handlers, builds the components and the facade, registers the tasks. */
  open(): Promise<OmniQHostInfo> {
    this.#opening ??= this.#open();
    return this.#opening;
  }

  async #open(): Promise<OmniQHostInfo> {
    const spec = this.#spec;
    // First, so that a task module may register URL schemes (registerUrlFactory) for the build.
    const handlers = spec.tasks ? await loadTaskModule(spec.tasks) : new Map();
    const taskOptions = spec.taskOptions ?? {};
    for (const name of Object.keys(taskOptions)) {
      if (!handlers.has(name)) {
        throw new ConfigError(
          `taskOptions.${name}`,
          `omniq: taskOptions.${name}: the task module has no handler named ${JSON.stringify(name)} (handlers: ${[...handlers.keys()].join(", ") || "none"})`,
        );
      }
    }
    const omniq = await this.#build();
    try {
      for (const [name, handler] of handlers) omniq.task(name, handler, taskOptions[name] ?? {});
    } catch (error) {
      await omniq.close().catch(() => undefined);
      throw error;
    }
    this.#omniq = omniq;
    return {
      tasks: omniq.taskNames.map((name) => ({ name, options: taskOptions[name] ?? {} })),
      hasResults: omniq.results !== undefined,
      hasEvents: omniq.eventStorage !== undefined,
      config: omniq instanceof ConfiguredOmniQ ? omniq.config : undefined,
    };
  }

  async #build(): Promise<AsyncOmniQ> {
    const { source, cwd } = this.#spec;
    const options: Omit<AsyncOmniQOptions, "queue"> = {
      ...(this.#spec.eventFlushMs === undefined ? {} : { eventFlushMs: this.#spec.eventFlushMs }),
      ...(this.#spec.resultPollMs === undefined ? {} : { resultPollMs: this.#spec.resultPollMs }),
    };
    const logger = loggerFor(this.#spec.logLevel);
    if (source.kind === "config") {
      const config = await loadConfig({
        file: source.file,
        ...(source.env === undefined ? {} : { env: source.env }),
        config: source.config,
        cwd,
      });
      const built = await buildComponents(config, { cwd });
      try {
        return new ConfiguredOmniQ(config, {
          ...built,
          ...options,
          logger: logger ?? loggerFor(config.logLevel) ?? silentLogger,
        });
      } catch (error) {
        await Promise.allSettled([built.queue, built.results, built.events].map((c) => c?.close()));
        throw error;
      }
    }
    const done: Closable[] = [];
    try {
      const queue = (await build("queue", source.queue, cwd)) as TaskQueue;
      done.push(queue);
      let results: ResultStorage | undefined;
      if (source.results) {
        results = (await build("results", source.results, cwd)) as ResultStorage;
        done.push(results);
      }
      let events: EventStorage | undefined;
      if (source.events) {
        events = (await build("events", source.events, cwd)) as EventStorage;
        done.push(events);
      }
      return new AsyncOmniQ({ queue, results, events, ...options, logger: logger ?? silentLogger });
    } catch (error) {
      await Promise.allSettled(done.map((c) => c.close()));
      throw error;
    }
  }

  #o(): AsyncOmniQ {
    if (!this.#omniq) throw new ClosedError("omniq: not open");
    return this.#omniq;
  }

  // ---- the facade, one plain-data argument per method ----

  enqueue(request: TaskRequest): Promise<Task> {
    const { name, args, ...options } = request;
    return this.#o().enqueue(name, args, options);
  }

  enqueueMany(batch: { tasks: TaskRequest[] }): Promise<Task[]> {
    return this.#o().enqueueMany(batch.tasks);
  }

  get(id: string): Promise<Task | null> {
    return this.#o().get(id);
  }

  result(id: string, options: BlockingResultOptions = {}): Promise<TaskResult> {
    return this.#o().result(id, options);
  }

  cancel(id: string, reason?: string): Promise<Task> {
    return this.#o().cancel(id, reason);
  }

  retry(id: string, options: { runAt?: Date } = {}): Promise<Task> {
    return this.#o().retry(id, options);
  }

  events(taskId: string): Promise<TaskEvent[]> {
    return this.#o().events(taskId);
  }

  queryEvents(query: EventQuery = {}): Promise<Page<TaskEvent>> {
    return this.#o().queryEvents(query);
  }

  flushEvents(): Promise<void> {
    return this.#o().flushEvents();
  }

  schedule(schedule: NewSchedule): Promise<Schedule> {
    return this.#o().schedule(schedule);
  }

  pauseSchedule(id: string): Promise<Schedule> {
    return this.#o().pauseSchedule(id);
  }

  resumeSchedule(id: string): Promise<Schedule> {
    return this.#o().resumeSchedule(id);
  }

  removeSchedule(id: string): Promise<boolean> {
    return this.#o().removeSchedule(id);
  }

  getSchedule(id: string): Promise<Schedule | null> {
    return this.#o().getSchedule(id);
  }

  schedules(options: { status?: Schedule["status"] } = {}): Promise<Schedule[]> {
    return this.#o().schedules(options);
  }

  // ---- workers, addressed by a key ----

  createWorker(options: BlockingWorkerOptions = {}): {
    key: number;
    id: string;
    options: Worker["options"];
  } {
    for (const field of ["executor", "logger"] as const) {
      if ((options as Record<string, unknown>)[field] !== undefined) {
        throw new ValidationError(
          field,
          `omniq.worker: ${field}: not available in the blocking OmniQ (it cannot cross into its thread)`,
        );
      }
    }
    const worker = this.#o().worker({ ...options, handleSignals: false });
    const key = this.#nextWorker++;
    this.#workers.set(key, worker);
    return { key, id: worker.id, options: worker.options };
  }

  async startWorker(key: number): Promise<void> {
    await this.#worker(key).start();
  }

  async stopWorker(key: number, options: { gracefulStopMs?: number } = {}): Promise<void> {
    await this.#worker(key).stop(options);
  }

  runWorkerUntilIdle(key: number, options: { timeoutMs?: number } = {}): Promise<WorkerStats> {
    return this.#worker(key).runUntilIdle(options);
  }

  workerStats(key: number): WorkerStats {
    return this.#worker(key).stats;
  }

  workerState(key: number): WorkerState {
    return this.#worker(key).state;
  }

  #worker(key: number): Worker {
    const worker = this.#workers.get(key);
    if (!worker) throw new ValidationError("worker", `omniq.worker: no worker with key ${key}`);
    return worker;
  }

  /** Stops the workers (gracefully), writes pending events, closes the components. */
  async close(): Promise<void> {
    if (this.#opening) await this.#opening.catch(() => undefined);
    await this.#omniq?.close();
  }
}
