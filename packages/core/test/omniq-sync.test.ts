import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import {
  AsyncMemoryQueue,
  AsyncOmniQ,
  type BlockingTaskDefinition,
  type BlockingTaskHandle,
  BlockingWorker,
  blockingClass,
  ClosedError,
  ConfigError,
  NotFoundError,
  OmniQ,
  type Task,
  type TaskResult,
  TimeoutError,
  ValidationError,
} from "@omniq/core";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";

// The OmniQ's thread imports JavaScript: this test uses the built @omniq/core
// (`pnpm --filter @omniq/core build` first) and .mjs fixtures.
const TASKS = new URL("./fixtures/omniq-sync-tasks.mjs", import.meta.url).href;
const STORE = new URL("./fixtures/omniq-sync-store.mjs", import.meta.url).href;
type Tasks = typeof import("./fixtures/omniq-sync-tasks.mjs");

const FAST_RETRY = { retry: { backoff: "fixed", delayMs: 5, jitter: 0 } } as const;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

function waitFor(check: () => boolean, what: string, ms = 5000): void {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
}

function inMemory(): OmniQ<Tasks> {
  return new OmniQ<Tasks>({
    queue: "inmemory:",
    results: "inmemory:",
    events: "inmemory:",
    tasks: TASKS,
    taskOptions: { flaky: FAST_RETRY },
  });
}

describe("blocking OmniQ over inmemory: components built in its thread", () => {
  let omniq: OmniQ<Tasks>;
  let worker: BlockingWorker;
  beforeAll(() => {
    omniq = inMemory();
    worker = omniq.worker({
      concurrency: 4,
      pollIntervalMs: { min: 1, max: 20 },
      scheduleTickMs: 20,
    });
  });
  afterAll(() => omniq?.close());

  it("finds the module's handlers: named exports first, then the default object", () => {
    expect([...omniq.taskNames].sort()).toEqual(["add", "echoDate", "flaky", "slow", "text.upper"]);
    expect(omniq.hasResults).toBe(true);
    expect(omniq.hasEvents).toBe(true);
    expect(omniq.tasks.flaky.options).toEqual(FAST_RETRY);
    expect("toString" in omniq.tasks).toBe(false);
  });

  it("enqueues, runs in the started worker while the caller waits, and returns typed results", () => {
    expect(worker).toBeInstanceOf(BlockingWorker);
    expect(worker.state).toBe("created");
    worker.start();
    expect(worker.state).toBe("running");
    const h = omniq.tasks.add.enqueue(1, 2);
    expect(h.task.status).toBe("pending");
    expect(h.task.args).toEqual([1, 2]);
    const r = h.result({ waitMs: 5000 });
    expect(r.status).toBe("success");
    expect(r.value).toBe(3); // the named export, not default.add
    expect(omniq.tasks["text.upper"].enqueue("abc").result({ waitMs: 5000 }).value).toBe("ABC");
    const when = new Date(Date.UTC(2024, 5, 1));
    const dated = omniq.tasks.echoDate.enqueue(when).result({ waitMs: 5000 });
    expect(dated.value?.when).toEqual(when);
    expect(dated.value?.year).toBe(2024);
    const untyped = omniq.enqueue("add", [20, 22], { priority: 3 });
    expect(untyped.priority).toBe(3);
    expect(omniq.result<number>(untyped.id, { waitMs: 5000 }).value).toBe(42);
    expect(omniq.get(untyped.id)?.status).toBe("success");
    expect(worker.stats.succeeded).toBeGreaterThanOrEqual(4);
  });

  it("keeps working in its thread while the caller is busy, and retries by taskOptions", () => {
    const h = omniq.tasks.flaky.enqueue(2);
    waitFor(() => omniq.get(h.id)?.status === "success", "the worker to finish a task on its own");
    const r = h.result({ waitMs: 0 });
    expect(r.value).toBe(3);
    expect(r.attempts).toBe(3);
    omniq.flushEvents();
    const types = omniq.events(h.id).map((e) => e.type);
    expect(types.filter((t) => t === "retry_scheduled")).toHaveLength(2);
    expect(types.at(-1)).toBe("succeeded");
    const page = omniq.queryEvents({ taskId: h.id, types: ["started"], limit: 10 });
    expect(page.items.map((e) => e.attempt)).toEqual([1, 2, 3]);
  });

  it("enqueueMany batches typed requests; with() merges options; dependsOn takes handles", () => {
    const [a, b] = omniq.enqueueMany([
      omniq.tasks.add.request(1, 1),
      { name: "add", args: [2, 2] },
    ]);
    const c = omniq.tasks.add.with({ dependsOn: [omniq.tasks.add.enqueue(5, 5)], priority: 9 });
    expect(c.options.priority).toBe(9);
    const handles = c.enqueueMany([[3, 3]]);
    expect(handles[0]!.task.dependsOn).toHaveLength(1);
    expect(handles[0]!.result({ waitMs: 5000 }).value).toBe(6);
    expect(omniq.result(a!.id, { waitMs: 5000 }).value).toBe(2);
    expect(omniq.result(b!.id, { waitMs: 5000 }).value).toBe(4);
  });

  it("cancels a pending task and a running one (its signal fires in the worker)", () => {
    const later = omniq.tasks.add.with({ delayMs: 60_000 }).enqueue(1, 1);
    const cancelled = later.cancel("not needed");
    expect(cancelled.status).toBe("cancelled");
    const r = later.result({ waitMs: 0 });
    expect(r.status).toBe("failed");
    expect(r.error?.kind).toBe("cancelled");

    const running = omniq.tasks.slow.enqueue(30_000);
    waitFor(() => omniq.get(running.id)?.status === "running", "the slow task to start");
    omniq.cancel(running.id, "stop it");
    const rr = running.result({ waitMs: 5000 });
    expect(rr.status).toBe("failed");
    expect(rr.error?.kind).toBe("cancelled");
    expect(omniq.get(running.id)?.status).toBe("cancelled");
    const retried = omniq.retry(running.id);
    expect(retried.status).toBe("pending");
    omniq.cancel(retried.id);
  });

  it("adds, pauses, resumes, lists and removes schedules; workers fire them", () => {
    const s = omniq.tasks.add.schedule({ id: "sum-now", at: new Date(Date.now() - 1) }, 7, 8);
    expect(s.status).toBe("active");
    expect(omniq.getSchedule("sum-now")?.name).toBe("add");
    waitFor(() => (omniq.getSchedule("sum-now")?.runCount ?? 0) === 1, "the schedule to fire");
    const every = omniq.schedule({ id: "tick", name: "add", args: [1, 2], everyMs: 3_600_000 });
    expect(every.nextRunAt).toBeInstanceOf(Date);
    expect(omniq.pauseSchedule("tick").status).toBe("paused");
    expect(omniq.schedules({ status: "paused" }).map((x) => x.id)).toEqual(["tick"]);
    expect(omniq.resumeSchedule("tick").status).toBe("active");
    expect(omniq.removeSchedule("tick")).toBe(true);
    expect(omniq.getSchedule("tick")).toBeNull();
    const fired = omniq.queryEvents({ types: ["enqueued"], limit: 1000 }).items;
    expect(fired.some((e) => (e.data as { name?: string } | null)?.name === "add")).toBe(true);
  });

  it("throws errors with their class and field, as the async API does", async () => {
    const bad = caught(() => omniq.enqueue("add", [1, { fn() {} }])) as ValidationError;
    const asyncOmniq = new AsyncOmniQ({ queue: new AsyncMemoryQueue() });
    const asyncBad = await asyncOmniq.enqueue("add", [1, { fn() {} }]).catch((e: unknown) => e);
    await asyncOmniq.close();
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.field).toBe("args[1].fn");
    expect(bad.field).toBe((asyncBad as ValidationError).field);
    expect(bad.message.startsWith((asyncBad as ValidationError).message)).toBe(true);

    const many = caught(() => omniq.enqueueMany([{ name: "add", args: [() => 1] }]));
    expect((many as ValidationError).field).toBe("tasks[0].args[0]");
    const map = caught(() => omniq.enqueue("add", [new Map()])) as ValidationError;
    expect(map).toBeInstanceOf(ValidationError); // cloned fine, refused by the queue's codec
    expect(map.field).toBe("args[0]");
    const prio = caught(() => omniq.enqueue("add", [1, 2], { priority: 1.5 })) as ValidationError;
    expect(prio.field).toBe("priority");
    const workerOpts = caught(() => omniq.worker({ concurrency: 0 })) as ValidationError;
    expect(workerOpts.field).toBe("concurrency");

    const pending = omniq.tasks.add.with({ delayMs: 60_000 }).enqueue(1, 2);
    const timeout = caught(() => pending.result({ waitMs: 30 })) as TimeoutError;
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect(timeout.message).toContain("waitMs 30");
    expect(timeout.stack).toContain("omniq-sync.test.ts");
    pending.cancel();
    const missing = caught(() => omniq.result("no-such-task", { waitMs: 0 }));
    expect(missing).toBeInstanceOf(NotFoundError);
    const signal = caught(() =>
      omniq.result(pending.id, { signal: AbortSignal.timeout(10) } as { waitMs?: number }),
    );
    expect((signal as ValidationError).field).toBe("signal");
  });

  it("types tasks from the handler module", () => {
    expectTypeOf(omniq.tasks.add.enqueue).parameters.toEqualTypeOf<[a: number, b: number]>();
    expectTypeOf(omniq.tasks.add.enqueue).returns.toEqualTypeOf<
      BlockingTaskHandle<number, [a: number, b: number]>
    >();
    expectTypeOf(omniq.tasks.slow.enqueue).parameters.toEqualTypeOf<[ms: number]>();
    expectTypeOf(omniq.tasks.slow).toEqualTypeOf<BlockingTaskDefinition<[ms: number], number>>();
    expectTypeOf(omniq.tasks["text.upper"].request).parameters.toEqualTypeOf<[s: string]>();
    expectTypeOf(omniq.tasks.echoDate.enqueue(new Date()).result().value).toEqualTypeOf<
      { when: Date; year: number } | undefined
    >();
    expectTypeOf(omniq.enqueue).returns.toEqualTypeOf<Task>();
    expectTypeOf(omniq.result<number>).returns.toEqualTypeOf<TaskResult<number>>();
    const _wrong = () => [
      // @ts-expect-error wrong argument type
      omniq.tasks.add.enqueue("1", 2),
      // @ts-expect-error the context is never passed by the caller
      omniq.tasks.flaky.enqueue(1, {}),
      // @ts-expect-error classes and constants are not tasks
      omniq.tasks.NotAHandler,
      // @ts-expect-error classes and constants are not tasks
      omniq.tasks.VERSION,
      // @ts-expect-error taskOptions keys are task names
      new OmniQ<Tasks>({ queue: "inmemory:", taskOptions: { nope: {} } }),
    ];
    expectTypeOf(_wrong).toBeFunction();
    const untyped = (o: OmniQ) => o.tasks.anything;
    expectTypeOf(untyped).returns.toEqualTypeOf<BlockingTaskDefinition | undefined>();
  });
});

describe("runUntilIdle, close and `using`", () => {
  it("runs what is due, then stops; close() stops running workers; later calls throw ClosedError", () => {
    const omniq = inMemory();
    const handles = omniq.tasks.add.enqueueMany([
      [1, 2],
      [3, 4],
    ]);
    const failing = omniq.tasks.flaky.with({ maxRetries: 0 }).enqueue(1);
    const stats = omniq.worker().runUntilIdle({ timeoutMs: 10_000 });
    expect(stats.succeeded).toBe(2);
    expect(stats.failed).toBe(1);
    expect(handles.map((h) => h.result({ waitMs: 0 }).value)).toEqual([3, 7]);
    const f = failing.result({ waitMs: 0 });
    expect(f.status).toBe("failed");
    expect(f.error?.message).toBe("flaky: attempt 1 fails");

    const slow = omniq.tasks.slow.enqueue(30_000);
    const idle = caught(() => omniq.worker().runUntilIdle({ timeoutMs: 50 }));
    expect(idle).toBeInstanceOf(TimeoutError);
    expect(omniq.get(slow.id)?.status).toBe("pending"); // released when it was stopped
    const busy = omniq.worker({ gracefulStopMs: 0 });
    busy.start();
    waitFor(() => omniq.get(slow.id)?.status === "running", "the slow task to start again");
    omniq.close();
    omniq.close(); // idempotent
    const closed = caught(() => omniq.get(slow.id)) as ClosedError;
    expect(closed).toBeInstanceOf(ClosedError);
    expect(closed.message).toContain("omniq.get");
    expect(caught(() => slow.result())).toBeInstanceOf(ClosedError);
    expect(caught(() => busy.stats)).toBeInstanceOf(ClosedError);
    expect(() => busy[Symbol.dispose]()).not.toThrow();
  });

  it("closes with `using`", () => {
    let ref: OmniQ<Tasks> | undefined;
    {
      using omniq = inMemory();
      ref = omniq;
      omniq.tasks.add.enqueue(1, 1);
    }
    expect(caught(() => ref?.enqueue("add", [1, 1]))).toBeInstanceOf(ClosedError);
  });
});

describe("construction", () => {
  const dir = mkdtempSync(join(tmpdir(), "omniq-sync-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("rebuilds a blocking twin in its own thread from blockingSpec; the caller's twin stays usable", () => {
    const MarkedQueue = blockingClass<AsyncMemoryQueue, [{ marker: string }]>(
      STORE,
      "AsyncMarkedQueue",
    );
    const marker = join(dir, "marker.txt");
    using twin = new MarkedQueue({ marker });
    using omniq = new OmniQ<Tasks>({ queue: twin, tasks: TASKS });
    const threads = readFileSync(marker, "utf8").trim().split("\n");
    expect(threads).toHaveLength(2);
    expect(new Set([...threads, String(threadId)]).size).toBe(3);
    const t = omniq.tasks.add.enqueue(2, 3);
    expect(omniq.worker().runUntilIdle({ timeoutMs: 5000 }).succeeded).toBe(1);
    expect(omniq.get(t.id)?.status).toBe("success");
    expect(twin.count()).toBe(0); // an in-memory stand-in: this store is the caller's own
  });

  it("refuses twins of in-memory stores and async components with a ConfigError", () => {
    const MemoryQueue = blockingClass<AsyncMemoryQueue, []>(
      new URL("../dist/index.js", import.meta.url).href,
      "AsyncMemoryQueue",
    );
    using memory = new MemoryQueue();
    const err = caught(() => new OmniQ({ queue: memory })) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.key).toBe("queue");
    expect(err.message).toContain("in-memory");
    const MarkedQueue = blockingClass<AsyncMemoryQueue, [{ marker: string; path: string }]>(
      STORE,
      "AsyncMarkedQueue",
    );
    using sqliteLike = new MarkedQueue({ marker: join(dir, "m2.txt"), path: ":memory:" });
    const err2 = caught(() => new OmniQ({ queue: "inmemory:", results: sqliteLike }));
    expect((err2 as ConfigError).key).toBe("results");
    expect((err2 as ConfigError).message).toContain('args[0].path is ":memory:"');
    const asyncQueue = new AsyncMemoryQueue();
    const err3 = caught(() => new OmniQ({ queue: asyncQueue as never })) as ConfigError;
    expect(err3.key).toBe("queue");
    expect(err3.message).toContain("blocking twin");
    const fn = caught(
      () => new OmniQ({ queue: { url: "inmemory:", storageOptions: { credentials: () => "x" } } }),
    ) as ConfigError;
    expect(fn.key).toBe("queue.storageOptions.credentials");
  });

  it("reports a missing module, unknown taskOptions and bad URLs from its thread", () => {
    const noModule = caught(
      () => new OmniQ({ queue: "inmemory:", tasks: join(dir, "nope.mjs") }),
    ) as ConfigError;
    expect(noModule).toBeInstanceOf(ConfigError);
    expect(noModule.key).toBe("tasks");
    const unknown = caught(
      () => new OmniQ({ queue: "inmemory:", tasks: TASKS, taskOptions: { nope: {} } }),
    ) as ConfigError;
    expect(unknown.key).toBe("taskOptions.nope");
    const url = caught(() => new OmniQ({ queue: "inmemory:x" })) as ConfigError;
    expect(url).toBeInstanceOf(ConfigError);
    expect(url.key).toBe("queue.url");
  });

  it("loads configuration with fromConfig; worker() starts from the configured settings", () => {
    using omniq = OmniQ.fromConfig<Tasks>({
      file: false,
      env: {},
      config: { queue: "inmemory:", results: "inmemory:", worker: { concurrency: 3 } },
      tasks: TASKS,
    });
    expect(omniq.config?.queue.url).toBe("inmemory:");
    expect(omniq.hasEvents).toBe(false);
    const worker = omniq.worker();
    expect(worker.options.concurrency).toBe(3);
    const h = omniq.tasks.add.enqueue(4, 5);
    worker.runUntilIdle({ timeoutMs: 5000 });
    expect(h.result({ waitMs: 0 }).value).toBe(9);
    expect(caught(() => omniq.events(h.id))).toBeInstanceOf(ConfigError);
    const registry = caught(() =>
      OmniQ.fromConfig({ registry: {} } as Parameters<typeof OmniQ.fromConfig>[0]),
    ) as ConfigError;
    expect(registry.key).toBe("registry");
  });
});
