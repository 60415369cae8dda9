import type { ConfigLogLevel, ResolvedOmniQConfig } from "../config/config-types.js";
import type { LoadConfigOptions } from "../config/load-config.js";
import type { Blocking, Page } from "../contracts/common.js";
import { ClosedError, ConfigError, ValidationError } from "../errors.js";
import type { EventQuery, TaskEvent } from "../models/event.js";
import type { TaskResult } from "../models/result.js";
import type { NewSchedule, Schedule } from "../models/schedule.js";
import type { Task } from "../models/task.js";
import {
  type BlockingHandle,
  type BlockingOptions,
  buildBlocking,
} from "../sync/create-blocking.js";
import type { OmniQHost } from "./omniq-host.js";
import type { HostSource, OmniQHostSpec } from "./omniq-host-spec.js";
import {
  checkCloneable,
  type OmniQComponent,
  toHostComponent,
  toModuleUrl,
} from "./omniq-sync-components.js";
import { type BlockingDefinitionHost, createBlockingDefinition } from "./omniq-sync-definition.js";
import type {
  BlockingResultOptions,
  BlockingTaskDefinition,
  BlockingTasks,
  BlockingWorkerOptions,
  TaskModuleNames,
  UntypedTaskModule,
} from "./omniq-sync-types.js";
import { BlockingWorker } from "./omniq-sync-worker.js";
import type { EnqueueOptions, TaskOptions, TaskRequest } from "./task-options.js";

const HOST_MODULE = new URL("./omniq-host.js", import.meta.url).href;

/** Settings of the blocking {@link OmniQ} shared by `new OmniQ(...)` and `OmniQ.fromConfig(...)`. */
export interface OmniQCommonOptions<M extends object = UntypedTaskModule> {
  /**
   * The handler module, imported in the OmniQ's thread: a file path (relative to `cwd`) or a
   * file URL, exporting handlers as named exports or as a default object `{ name: handler }`
   * (the convention of `ThreadPoolExecutor`). It must be JavaScript Node can import. It is
   * imported before the components are built, so it may also `registerUrlFactory(...)`.
   * @defaultValue none: the OmniQ enqueues and reads, and its workers know no handler
   */
  tasks?: string | URL;
  /** Options of the module's tasks by name (`queue`, `maxRetries`, `retry`, `timeoutMs`, ...). */
  taskOptions?: { [K in TaskModuleNames<M>]?: TaskOptions };
  /** Library log level inside the OmniQ's thread (lines reach stdout when the caller's event loop runs). @defaultValue silent */
  logLevel?: ConfigLogLevel;
  /** How long events collect before one `appendMany`. @defaultValue 2 */
  eventFlushMs?: number;
  /** `result()` polling interval (for tasks run by other processes). @defaultValue { min: 10, max: 1000 } */
  resultPollMs?: { min?: number; max?: number };
  /** Resolves relative paths (`tasks`, file URLs of components) and backend packages. @defaultValue process.cwd() */
  cwd?: string;
  /** Limits of the bridge to the OmniQ's thread (`startupTimeoutMs`, and `timeoutMs` for every call, `result()` included). */
  bridge?: BlockingOptions;
}

/** Options of `new OmniQ(...)`: each component a blocking twin, a URL or a `ComponentSpec`. */
export interface OmniQOptions<M extends object = UntypedTaskModule> extends OmniQCommonOptions<M> {
  /** The task queue: e.g. `new SQLiteQueue({ path })`, `"sqlite:./omniq.db"`, `{ url, storageOptions }`. */
  queue: OmniQComponent;
  /** Result storage; absent or `null`: none. */
  results?: OmniQComponent | null | undefined;
  /** Event storage; absent or `null`: none. */
  events?: OmniQComponent | null | undefined;
}

/** Options of `OmniQ.fromConfig(...)`: where the configuration is loaded from, plus the common settings. */
export interface OmniQConfigOptions<M extends object = UntypedTaskModule>
  extends Omit<LoadConfigOptions, "registry" | "cwd">,
    OmniQCommonOptions<M> {}

/** Set by `fromConfig` for the constructor it calls (synchronously). */
let configSource: HostSource | undefined;

function assertObject(value: unknown, what: string): void {
  if (value === null || typeof value !== "object") {
    throw new ValidationError("options", `${what}: expected an options object`);
  }
}

function hostSpec(options: OmniQCommonOptions<object>, source: HostSource): OmniQHostSpec {
  const cwd = options.cwd ?? process.cwd();
  const spec: OmniQHostSpec = {
    source,
    cwd,
    tasks: options.tasks === undefined ? undefined : toModuleUrl(options.tasks, cwd),
    taskOptions: options.taskOptions as Record<string, TaskOptions> | undefined,
    logLevel: options.logLevel,
    eventFlushMs: options.eventFlushMs,
    resultPollMs: options.resultPollMs,
  };
  checkCloneable("taskOptions", spec.taskOptions);
  checkCloneable("resultPollMs", spec.resultPollMs);
  return spec;
}

/** A request as it crosses: `dependsOn` handles become ids (handles carry functions). */
function plainRequest(request: TaskRequest): TaskRequest {
  if (!Array.isArray(request?.dependsOn)) return request;
  return {
    ...request,
    dependsOn: request.dependsOn.map((d: string | { readonly id: string }) =>
      typeof d === "string" ? d : d?.id,
    ),
  };
}

/**
 * The blocking facade, twin of {@link AsyncOmniQ}: the same methods, each returning its value
 * instead of a promise, for scripts and synchronous code. It runs an `AsyncOmniQ` in a worker
 * thread (the sync bridge: each call blocks with `Atomics.wait` until the thread replies).
 * Handlers are functions, which cannot cross threads, so they come from a module (`tasks`)
 * imported in that thread; its workers run there too, and keep running while the caller
 * does other things. Components are blocking twins (rebuilt in the OmniQ's thread from their
 * `blockingSpec`: the caller's twin stays usable, both open the same file or database), URLs
 * or `ComponentSpec`s (built in the OmniQ's thread by the configuration machinery). A twin
 * of an in-memory store is refused with a `ConfigError` (the copy would share nothing); the
 * URL `"inmemory:"` or `"sqlite::memory:"` builds one inside the OmniQ's thread instead.
 *
 * Arguments and results cross by structured clone; errors keep their class and fields.
 *
 * @example
 * ```ts
 * // tasks.js: export function add(a, b) { return a + b }
 * using omniq = new OmniQ<typeof import("./tasks.js")>({
 *   queue: new SQLiteQueue({ path: "omniq.db" }), // or "sqlite:./omniq.db"
 *   results: "sqlite:./omniq.db",
 *   tasks: new URL("./tasks.js", import.meta.url),
 * });
 * const worker = omniq.worker({ concurrency: 4 });
 * worker.start();                                   // runs in the OmniQ's thread
 * const h = omniq.tasks.add.enqueue(1, 2);          // typed from the handler
 * const r = h.result({ waitMs: 5000 });             // blocks: { status: "success", value: 3, ... }
 * omniq.enqueue("add", [3, 4], { priority: 5 });    // untyped
 * ```
 */
export class OmniQ<M extends object = UntypedTaskModule> implements BlockingDefinitionHost {
  /** The module's tasks, typed from its handlers: `omniq.tasks.add.enqueue(1, 2)`. */
  readonly tasks: BlockingTasks<M>;
  /** Names of the tasks found in the module. */
  readonly taskNames: readonly string[];
  /** Whether result storage is configured. */
  readonly hasResults: boolean;
  /** Whether event storage is configured. */
  readonly hasEvents: boolean;
  /** The loaded configuration, for `OmniQ.fromConfig` (print it with `redactConfig`). */
  readonly config: ResolvedOmniQConfig | undefined;
  readonly #host: Blocking<OmniQHost> & BlockingHandle;
  #closed = false;

  /**
   * Starts the OmniQ's thread, imports the task module, builds the components and blocks
   * until all is ready (or throws what failed: `ConfigError`, `ValidationError`, ...).
   */
  constructor(options: OmniQOptions<M>) {
    const fromConfig = configSource;
    configSource = undefined;
    assertObject(options, "new OmniQ");
    const source: HostSource = fromConfig ?? {
      kind: "components",
      queue: toHostComponent("queue", options.queue),
      results: options.results == null ? undefined : toHostComponent("results", options.results),
      events: options.events == null ? undefined : toHostComponent("events", options.events),
    };
    const spec = hostSpec(options as OmniQCommonOptions<object>, source);
    this.#host = buildBlocking(
      { module: HOST_MODULE, exportName: "OmniQHost", args: [spec] },
      options.bridge ?? {},
      Object.prototype,
      "OmniQ",
      OmniQ,
    ) as Blocking<OmniQHost> & BlockingHandle;
    let info: ReturnType<Blocking<OmniQHost>["open"]>;
    try {
      info = this.#host.open();
    } catch (error) {
      this.#host.close();
      throw error;
    }
    const tasks = Object.create(null) as Record<string, BlockingTaskDefinition>;
    for (const t of info.tasks) tasks[t.name] = createBlockingDefinition(this, t.name, t.options);
    this.tasks = Object.freeze(tasks) as BlockingTasks<M>;
    this.taskNames = Object.freeze(info.tasks.map((t) => t.name));
    this.hasResults = info.hasResults;
    this.hasEvents = info.hasEvents;
    this.config = info.config;
  }

  /**
   * Loads the configuration (defaults < file < `OMNIQ_*` environment < `config` in code, as
   * `loadConfig` does) in the OmniQ's thread and builds the components from their URLs;
   * `worker()` starts from the configured worker settings. A custom `registry` cannot cross
   * threads: register schemes in the task module instead.
   *
   * @example
   * ```ts
   * using omniq = OmniQ.fromConfig<typeof import("./tasks.js")>({ tasks: "./dist/tasks.js" });
   * omniq.worker().runUntilIdle();
   * ```
   */
  static fromConfig<M extends object = UntypedTaskModule>(
    options: OmniQConfigOptions<M> = {},
  ): OmniQ<M> {
    assertObject(options, "OmniQ.fromConfig");
    if ((options as LoadConfigOptions).registry !== undefined) {
      throw new ConfigError(
        "registry",
        "OmniQ.fromConfig: registry: a SchemeRegistry cannot cross into the OmniQ's thread; call registerUrlFactory() in the task module instead (it is imported there first)",
      );
    }
    checkCloneable("config", options.config);
    configSource = {
      kind: "config",
      file: options.file,
      env: options.env === undefined ? undefined : { ...options.env },
      config: options.config,
    };
    try {
      return new OmniQ<M>(options as unknown as OmniQOptions<M>);
    } finally {
      configSource = undefined;
    }
  }

  #h(what: string): Blocking<OmniQHost> {
    if (this.#closed) throw new ClosedError(`omniq.${what}: used after close()`);
    return this.#host;
  }

  // ---- enqueue ----

  /**
   * Enqueues by name (untyped) and returns the stored task. The task's `taskOptions` apply,
   * then `options`.
   *
   * @example
   * ```ts
   * const task = omniq.enqueue("add", [1, 2], { delayMs: 500, id: "add-1-2" });
   * ```
   */
  enqueue(name: string, args: readonly unknown[] = [], options: EnqueueOptions = {}): Task {
    return this.#h("enqueue").enqueue(plainRequest({ ...options, name, args }));
  }

  /**
   * Enqueues several tasks in one batch; build items with `omniq.tasks.x.request(...args)`
   * or as `{ name, args, ...options }`.
   */
  enqueueMany(requests: readonly TaskRequest[]): Task[] {
    const host = this.#h("enqueueMany");
    if (!Array.isArray(requests)) {
      throw new ValidationError(
        "requests",
        "omniq.enqueueMany: expected an array of task requests",
      );
    }
    return host.enqueueMany({ tasks: requests.map(plainRequest) });
  }

  // ---- reading and waiting ----

  get(id: string): Task | null {
    return this.#h("get").get(id);
  }

  /**
   * Blocks until the task finished and returns its {@link TaskResult} (a failed task returns
   * too: check `status`); throws `TimeoutError` after `waitMs` and `NotFoundError` for an
   * unknown id. A worker of this OmniQ wakes the wait at once; otherwise storage is polled.
   * Without `waitMs` it waits as long as it takes: make sure some worker runs.
   *
   * @example
   * ```ts
   * const r = omniq.result<number>(task.id, { waitMs: 10_000 });
   * ```
   */
  result<R = unknown>(id: string, options: BlockingResultOptions = {}): TaskResult<R> {
    const host = this.#h("result");
    if ((options as { signal?: unknown } | undefined)?.signal !== undefined) {
      throw new ValidationError(
        "signal",
        "omniq.result: signal: not supported by the blocking OmniQ (the calling thread is blocked while it waits); use waitMs",
      );
    }
    return host.result(id, options) as TaskResult<R>;
  }

  // ---- operator actions ----

  /** Cancels a task (pending: never runs; running in this OmniQ's worker: its signal fires). */
  cancel(id: string, reason?: string): Task {
    return this.#h("cancel").cancel(id, reason);
  }

  /** Runs a failed, cancelled or expired task again from attempt 1 (its old result is deleted). */
  retry(id: string, options: { runAt?: Date } = {}): Task {
    return this.#h("retry").retry(id, options);
  }

  // ---- events ----

  /** Every recorded event of one task, oldest first. Needs event storage. */
  events(taskId: string): TaskEvent[] {
    return this.#h("events").events(taskId);
  }

  /** One page of events matching `query`. Needs event storage. */
  queryEvents(query: EventQuery = {}): Page<TaskEvent> {
    return this.#h("queryEvents").queryEvents(query);
  }

  /** Writes the events recorded so far (they are batched for a few ms). */
  flushEvents(): void {
    this.#h("flushEvents").flushEvents();
  }

  // ---- schedules ----

  /**
   * Adds (or updates, by `id`) a schedule: `cron` (+ `timezone`), `everyMs` or `at`. Workers
   * fire due ticks.
   *
   * @example
   * ```ts
   * omniq.schedule({ id: "nightly", name: "report", args: ["daily"], cron: "0 3 * * *" });
   * ```
   */
  schedule(schedule: NewSchedule): Schedule {
    return this.#h("schedule").schedule(schedule);
  }

  pauseSchedule(id: string): Schedule {
    return this.#h("pauseSchedule").pauseSchedule(id);
  }

  resumeSchedule(id: string): Schedule {
    return this.#h("resumeSchedule").resumeSchedule(id);
  }

  removeSchedule(id: string): boolean {
    return this.#h("removeSchedule").removeSchedule(id);
  }

  getSchedule(id: string): Schedule | null {
    return this.#h("getSchedule").getSchedule(id);
  }

  schedules(options: { status?: Schedule["status"] } = {}): Schedule[] {
    return this.#h("schedules").schedules(options);
  }

  // ---- workers and lifecycle ----

  /**
   * A worker in the OmniQ's thread running the module's handlers. Not started: call
   * `start()` or `runUntilIdle()`. `close()` stops it. `executor`, `logger` and
   * `handleSignals` are not available (they cannot cross, and signals never reach a thread).
   *
   * @example
   * ```ts
   * const worker = omniq.worker({ queues: ["emails", "default"], concurrency: 8 });
   * worker.start();
   * ```
   */
  worker(options: BlockingWorkerOptions = {}): BlockingWorker {
    const made = this.#h("worker").createWorker(options);
    return new BlockingWorker({ host: () => this.#h("worker"), closed: () => this.#closed }, made);
  }

  /** Stops its workers (gracefully), writes pending events, closes the components and the thread. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
