import { afterEach, describe, expect, it } from "vitest";
import {
  ATTEMPT_EVENTS,
  ATTEMPT_TRANSITIONS,
  AsyncMemoryEventStorage,
  AsyncMemoryQueue,
  AsyncMemoryResultStorage,
  AsyncOmniQ,
  type CompleteManyItem,
  type NewTaskEvent,
  type ResultStorage,
  type ResultSharingQueue,
  retryDelay,
  type Task,
  type TaskContext,
  TaskEventType,
  type TaskExecutor,
  type TaskResult,
  usesAtomicResults,
  WORKER_TRANSITIONS,
} from "../src/index.js";

const FAST = { pollIntervalMs: { min: 1, max: 20 }, scheduleTickMs: 10, maintenanceMs: 10 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: AsyncOmniQ[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});
function make(options: Partial<ConstructorParameters<typeof AsyncOmniQ>[0]> = {}): AsyncOmniQ {
  const omniq = new AsyncOmniQ({
    queue: new AsyncMemoryQueue(),
    results: new AsyncMemoryResultStorage(),
    ...options,
  });
  open.push(omniq);
  return omniq;
}

class CountingQueue extends AsyncMemoryQueue {
  batches: number[] = [];
  override async completeMany(items: readonly CompleteManyItem[]): Promise<Array<Task | null>> {
    this.batches.push(items.length);
    return super.completeMany(items);
  }
}

class CountingEvents extends AsyncMemoryEventStorage {
  calls = 0;
  override async appendMany(events: readonly NewTaskEvent[]) {
    this.calls++;
    return super.appendMany(events);
  }
}

class CountingResults extends AsyncMemoryResultStorage {
  setManyCalls = 0;
  override async setMany(results: readonly TaskResult[]): Promise<void> {
    this.setManyCalls++;
    return super.setMany(results);
  }
}

/** A queue that keeps results itself when they come with `complete()` (an atomicResults backend in small). */
class AtomicQueue extends AsyncMemoryQueue implements ResultSharingQueue {
  override readonly capabilities = {
    crossProcessClaims: false,
    atomicBatches: true,
    atomicResults: true,
  };
  received: TaskResult[] = [];
  linked: ResultStorage | undefined;
  sharesResultStore(results: ResultStorage): boolean {
    return results === this.linked;
  }
  override async completeMany(items: readonly CompleteManyItem[]): Promise<Array<Task | null>> {
    for (const i of items) if (i.result) this.received.push(i.result);
    return super.completeMany(items);
  }
}

describe("retryDelay", () => {
  const base = { delayMs: 100, maxDelayMs: 1000, jitter: 0 };
  it("fixed waits delayMs; exponential doubles per attempt; both are capped", () => {
    expect([1, 2, 3].map((n) => retryDelay({ ...base, backoff: "fixed" }, n))).toEqual([
      100, 100, 100,
    ]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelay({ ...base, backoff: "exponential" }, n))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(retryDelay({ ...base, backoff: "exponential" }, 500)).toBe(1000);
  });
  it("jitter scales the delay into [1 - jitter, 1]", () => {
    const p = { ...base, backoff: "fixed", jitter: 0.5 } as const;
    expect(retryDelay(p, 1, () => 0)).toBe(100);
    expect(retryDelay(p, 1, () => 1)).toBe(50);
    expect(retryDelay(p, 1, () => 0.5)).toBe(75);
  });
});

describe("state tables", () => {
  it("every arrow leads to a known state and every state's event is a known type", () => {
    for (const targets of Object.values(ATTEMPT_TRANSITIONS)) {
      for (const t of targets) expect(Object.keys(ATTEMPT_TRANSITIONS)).toContain(t);
    }
    for (const targets of Object.values(WORKER_TRANSITIONS)) {
      for (const t of targets) expect(Object.keys(WORKER_TRANSITIONS)).toContain(t);
    }
    for (const type of Object.values(ATTEMPT_EVENTS)) {
      if (type !== null) expect(Object.values(TaskEventType)).toContain(type);
    }
  });
});

describe("worker batching", () => {
  it("claims and completes in batches", async () => {
    const queue = new CountingQueue();
    const omniq = make({ queue });
    const t = omniq.task("t", (i: number) => i);
    await t.enqueueMany(Array.from({ length: 40 }, (_, i) => [i] as [number]));
    const stats = await omniq
      .worker({ ...FAST, concurrency: 10 })
      .runUntilIdle({ timeoutMs: 3000 });
    expect(stats.succeeded).toBe(40);
    expect(queue.batches.reduce((a, b) => a + b, 0)).toBe(40);
    expect(queue.batches.length).toBeLessThan(40);
    expect(Math.max(...queue.batches)).toBeGreaterThan(1);
  });

  it("writes events in batches", async () => {
    const events = new CountingEvents();
    const omniq = make({ events });
    const t = omniq.task("t", () => 1);
    await t.enqueueMany(Array.from({ length: 20 }, () => [] as []));
    await omniq.worker({ ...FAST, concurrency: 10 }).runUntilIdle({ timeoutMs: 3000 });
    const all = await omniq.queryEvents({ limit: 1000 });
    expect(all.items).toHaveLength(20 * 4);
    expect(events.calls).toBeLessThan(all.items.length / 4);
  });
});

describe("atomic results", () => {
  it("passes the result to complete() when the queue shares the result store", async () => {
    const queue = new AtomicQueue();
    const results = new CountingResults();
    queue.linked = results;
    expect(usesAtomicResults(queue, results)).toBe(true);
    const omniq = make({ queue, results });
    const t = omniq.task("t", (x: number) => x + 1);
    const h = await t.enqueue(1);
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
    expect(queue.received.map((r) => [r.taskId, r.value])).toEqual([[h.id, 2]]);
    expect(results.setManyCalls).toBe(0);
  });

  it("writes results separately when the storage is another store", async () => {
    const queue = new AtomicQueue();
    const results = new CountingResults();
    expect(usesAtomicResults(queue, results)).toBe(false);
    const omniq = make({ queue, results });
    const t = omniq.task("t", (x: number) => x + 1);
    const h = await t.enqueue(1);
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
    expect(queue.received).toEqual([]);
    expect(results.setManyCalls).toBe(1);
    expect((await results.get(h.id))?.value).toBe(2);
  });
});

/**
 * A worker (concurrency 1) that claims `first` and `behind` in one batch, so `behind` waits
 * claimed ahead while `first` runs; resolves with the worker once `behind` has succeeded.
 * Quick tasks go first so that the worker knows its handlers are fast and claims ahead. No
 * maintenance sweep meanwhile: recovering an expired lease first would be fine too, but
 * would make the tests' counts depend on which came first.
 */
async function runBehind(omniq: AsyncOmniQ, first: string, behind: string, leaseMs: number) {
  omniq.task("quick", () => {});
  for (let i = 0; i < 5; i++) await omniq.enqueue("quick");
  const at = new Date(Date.now() + 150);
  await omniq.enqueue(first, [], { runAt: at });
  const waiting = await omniq.enqueue(behind, [], { runAt: at, priority: -1 });
  const worker = omniq.worker({
    ...FAST,
    maintenanceMs: 60_000,
    concurrency: 1,
    prefetch: 10,
    leaseMs,
  });
  await worker.start();
  for (let i = 0; i < 500 && (await omniq.queue.get(waiting.id))?.status !== "success"; i++) {
    await sleep(10);
  }
  await worker.stop();
  return { worker, waiting: await omniq.queue.get(waiting.id) };
}

describe("worker lifecycle", () => {
  it("uses the executor it is given, and closes it on stop", async () => {
    const omniq = make();
    const seen: string[] = [];
    let closed = false;
    const executor: TaskExecutor = {
      async execute(ctx: TaskContext) {
        seen.push(`${ctx.task.name}:${JSON.stringify(ctx.task.args)}`);
        return "from executor";
      },
      async close() {
        closed = true;
      },
    };
    const task = await omniq.enqueue("anything", [1, "a"]);
    await omniq.worker({ ...FAST, executor }).runUntilIdle({ timeoutMs: 2000 });
    expect(seen).toEqual(['anything:[1,"a"]']);
    expect(closed).toBe(true);
    expect((await omniq.result(task.id, { waitMs: 0 })).value).toBe("from executor");
  });

  it("renews the lease while a handler runs longer than leaseMs", async () => {
    const omniq = make();
    const t = omniq.task("long", async () => {
      await sleep(150);
      return "kept";
    });
    const h = await t.enqueue();
    const worker = omniq.worker({ ...FAST, leaseMs: 45 });
    const stats = await worker.runUntilIdle({ timeoutMs: 2000 });
    expect(stats).toMatchObject({ succeeded: 1, leaseLost: 0, recovered: 0 });
    expect((await h.result({ waitMs: 0 })).value).toBe("kept");
  });

  it("does not start a claimed-ahead task whose lease ran out while the process stalled: it gives it back and runs it on a fresh lease", async () => {
    const omniq = make();
    const leaseMs = 300;
    const starts: Array<{ at: number; leaseUntil: number }> = [];
    omniq.task("stall", () => {
      // Blocks the event loop past the lease of the task claimed with it: no renewal runs.
      const end = Date.now() + 2 * leaseMs;
      while (Date.now() < end) {}
    });
    omniq.task("victim", (ctx?: TaskContext) => {
      starts.push({ at: Date.now(), leaseUntil: ctx!.task.leaseUntil?.getTime() ?? 0 });
    });
    const { worker, waiting: victim } = await runBehind(omniq, "stall", "victim", leaseMs);
    expect(victim?.status).toBe("success");
    // It ran once, and on a lease that still held when it started.
    expect(starts).toHaveLength(1);
    expect(starts[0]!.at).toBeLessThan(starts[0]!.leaseUntil);
    // Given back without using an attempt.
    expect({
      released: worker.stats.released,
      attempts: victim?.attempts,
    }).toEqual({ released: 1, attempts: 1 });
  });

  it("starts a claimed-ahead task whose renewals came back late when the store shows the lease still held", async () => {
    // Every renewal lands at once but its answer takes 1 s (a slow network): the worker cannot
    // count on it, so before starting the task waiting behind a long one it reads the task.
    class SlowAnswers extends AsyncMemoryQueue {
      override async heartbeat(id: string, workerId: string, leaseMs?: number): Promise<Task> {
        const t = await super.heartbeat(id, workerId, leaseMs);
        await sleep(1000);
        return t;
      }
    }
    const omniq = make({ queue: new SlowAnswers() });
    const starts: number[] = [];
    omniq.task("long", () => sleep(2400));
    omniq.task("waiting", () => {
      starts.push(Date.now());
    });
    const { worker, waiting } = await runBehind(omniq, "long", "waiting", 1200);
    expect(waiting?.status).toBe("success");
    expect(starts).toHaveLength(1);
    // Started on the lease the store showed, not given back.
    expect({ released: worker.stats.released, leaseLost: worker.stats.leaseLost }).toEqual({
      released: 0,
      leaseLost: 0,
    });
  }, 15_000);

  it("recovers the task of a worker that died, and records lease_recovered", async () => {
    const events = new AsyncMemoryEventStorage();
    const queue = new AsyncMemoryQueue();
    const omniq = make({ queue, events });
    const t = omniq.task("t", () => "second try");
    const h = await t.enqueue();
    await queue.dequeue({ workerId: "dead-worker", leaseMs: 5 });
    await sleep(15);
    const stats = await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
    expect(stats.recovered).toBe(1);
    expect((await h.result({ waitMs: 1000 })).value).toBe("second try");
    expect((await omniq.events(h.id)).map((e) => e.type)).toContain("lease_recovered");
  });

  it("run() stops gracefully on SIGTERM and removes its signal handlers", async () => {
    const omniq = make();
    const before = process.listenerCount("SIGTERM");
    const worker = omniq.worker(FAST);
    const running = worker.run();
    await sleep(20);
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    process.emit("SIGTERM", "SIGTERM");
    await running;
    expect(worker.state).toBe("stopped");
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });

  it("run() on a worker stopped after start() resolves with its stats, without starting it again", async () => {
    const omniq = make();
    const t = omniq.task("t", () => "done");
    const h = await t.enqueue();
    const worker = omniq.worker({ ...FAST, handleSignals: true });
    await worker.start();
    await h.result({ waitMs: 1000 });
    process.emit("SIGTERM", "SIGTERM"); // as a signal between start() and run() would
    const stats = await worker.run();
    expect(stats.succeeded).toBe(1);
    expect(worker.state).toBe("stopped");
    await expect(worker.start()).rejects.toMatchObject({ name: "ClosedError" });
  });

  it("start() does not handle signals unless asked", async () => {
    const omniq = make();
    const before = process.listenerCount("SIGINT");
    const worker = omniq.worker(FAST);
    await worker.start();
    expect(process.listenerCount("SIGINT")).toBe(before);
    await worker.stop();
  });

  it("runUntilIdle rejects with TimeoutError, then stops and releases what was running", async () => {
    const omniq = make();
    const t = omniq.task(
      "stuck",
      (ctx?: TaskContext) => new Promise((r) => ctx!.signal.addEventListener("abort", r)),
    );
    const h = await t.enqueue();
    const worker = omniq.worker(FAST);
    await expect(worker.runUntilIdle({ timeoutMs: 50 })).rejects.toMatchObject({
      name: "TimeoutError",
    });
    expect(worker.state).toBe("stopped");
    expect(await omniq.get(h.id)).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("cannot be started again after stop; stop twice is fine", async () => {
    const omniq = make();
    const worker = omniq.worker(FAST);
    await worker.start();
    await worker.start();
    await worker.stop();
    await worker.stop();
    await expect(worker.start()).rejects.toMatchObject({ name: "ClosedError" });
  });

  it("validates its options, naming the option", () => {
    const omniq = make();
    expect(() => omniq.worker({ concurrency: 0 })).toThrow(/concurrency/);
    expect(() => omniq.worker({ queues: [] })).toThrow(/queues/);
    expect(() => omniq.worker({ queues: ["../x"] })).toThrow(/queues\[0\]/);
    expect(() => omniq.worker({ pollIntervalMs: { min: 50, max: 10 } })).toThrow(
      /pollIntervalMs.max/,
    );
    expect(() => omniq.worker({ leaseMs: 1.5 })).toThrow(/leaseMs/);
  });

  it("a handler returning a value that cannot be stored fails without retries", async () => {
    const omniq = make();
    const t = omniq.task("bad", () => new Map([[1, 2]]), { maxRetries: 3 });
    const h = await t.enqueue();
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
    const r = await h.result({ waitMs: 0 });
    expect(r).toMatchObject({ status: "failed", attempts: 1, error: { kind: "result_encoding" } });
  });
});
