import { afterEach, describe, expect, it } from "vitest";
import {
  AsyncMemoryEventStorage,
  AsyncMemoryQueue,
  AsyncMemoryResultStorage,
  AsyncOmniQ,
  type Logger,
  type TaskContext,
  UnrecoverableError,
} from "../src/index.js";

const FAST = { pollIntervalMs: { min: 1, max: 20 }, scheduleTickMs: 10, maintenanceMs: 10 };
const open: AsyncOmniQ[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});
function make(): AsyncOmniQ {
  const omniq = new AsyncOmniQ({
    queue: new AsyncMemoryQueue(),
    results: new AsyncMemoryResultStorage(),
    events: new AsyncMemoryEventStorage(),
  });
  open.push(omniq);
  return omniq;
}

describe("AsyncOmniQ definitions", () => {
  it("rejects a second task with the same name and bad options, naming the field", () => {
    const omniq = make();
    omniq.task("a", () => 1);
    expect(() => omniq.task("a", () => 2)).toThrow(/already defined/);
    expect(() => omniq.task("b", () => 1, { priority: 1.5 })).toThrow(
      expect.objectContaining({ name: "ValidationError", field: "priority" }),
    );
    expect(() => omniq.task("c", () => 1, { retry: { backoff: "linear" as "fixed" } })).toThrow(
      expect.objectContaining({ field: "retry.backoff" }),
    );
    expect(omniq.taskNames).toEqual(["a"]);
    expect(typeof omniq.handler("a")).toBe("function");
    expect(omniq.handler("zzz")).toBeUndefined();
  });

  it("applies the definition's options, then with() overrides, to enqueued tasks", async () => {
    const omniq = make();
    const t = omniq.task("t", (x: number) => x, {
      queue: "q1",
      priority: 3,
      maxRetries: 7,
      retry: { delayMs: 5, backoff: "fixed" },
      timeoutMs: 1000,
    });
    const a = await t.enqueue(1);
    expect(a.task).toMatchObject({ queue: "q1", priority: 3, maxRetries: 7, timeoutMs: 1000 });
    expect(a.task.retry).toMatchObject({ delayMs: 5, backoff: "fixed" });
    const b = await t
      .with({ priority: 9, retry: { jitter: 0 } })
      .with({ metadata: { by: "test" } })
      .enqueue(2);
    expect(b.task).toMatchObject({ queue: "q1", priority: 9, metadata: { by: "test" } });
    expect(b.task.retry).toMatchObject({ delayMs: 5, backoff: "fixed", jitter: 0 });
    // the untyped enqueue by name uses the same defaults
    const c = await omniq.enqueue("t", [3], { priority: 1 });
    expect(c).toMatchObject({ queue: "q1", priority: 1, maxRetries: 7 });
  });

  it("reports bad args with the field path", async () => {
    const omniq = make();
    await expect(omniq.enqueue("x", [1, { when: () => 1 }])).rejects.toMatchObject({
      name: "ValidationError",
      field: "args[1].when",
    });
  });
});

describe("AsyncOmniQ operator actions", () => {
  it("a task enqueued after its dependency failed is cancelled at once", async () => {
    const omniq = make();
    const t = omniq.task("t", () => {
      throw new UnrecoverableError("no");
    });
    const a = await t.enqueue();
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
    const b = await t.with({ dependsOn: [a] }).enqueue();
    expect(b.task.status).toBe("cancelled");
    expect((await omniq.events(b.id)).map((e) => e.type)).toEqual(["enqueued", "cancelled"]);
    expect(await b.result({ waitMs: 0 })).toMatchObject({ error: { kind: "cancelled" } });
  });

  it("retry() of a task that is not dead is an IllegalTransitionError and keeps its result", async () => {
    const omniq = make();
    const t = omniq.task("t", () => "v");
    const h = await t.enqueue();
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
    await expect(omniq.retry(h.id)).rejects.toMatchObject({ name: "IllegalTransitionError" });
    expect((await omniq.results!.get(h.id))?.value).toBe("v");
  });

  it("records redriven and cascaded cancelled events", async () => {
    const omniq = make();
    let calls = 0;
    const t = omniq.task("t", () => {
      calls++;
      throw new UnrecoverableError("x");
    });
    const a = await t.enqueue();
    const b = await t.with({ dependsOn: [a] }).enqueue();
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
    expect((await omniq.events(b.id)).map((e) => e.type)).toEqual(["enqueued", "cancelled"]);
    await omniq.retry(a.id);
    expect((await omniq.events(a.id)).map((e) => e.type)).toContain("redriven");
    expect(calls).toBe(1);
  });

  it("result() stops waiting when its signal fires", async () => {
    const omniq = make();
    const task = await omniq.enqueue("never.run");
    const ac = new AbortController();
    const waiting = omniq.result(task.id, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error("gave up")), 20);
    await expect(waiting).rejects.toThrow("gave up");
  });

  it("a typed schedule carries the task's args, queue and options", async () => {
    const omniq = make();
    const add = omniq.task("add", (a: number, b: number) => a + b, {
      queue: "math",
      maxRetries: 1,
    });
    const s = await add.schedule({ id: "sum", everyMs: 60_000 }, 1, 2);
    expect(s).toMatchObject({ id: "sum", name: "add", args: [1, 2], queue: "math" });
    expect(s.taskOptions).toMatchObject({ maxRetries: 1 });
    expect(await omniq.schedules()).toHaveLength(1);
    expect(await omniq.removeSchedule("sum")).toBe(true);
  });
});

describe("AsyncOmniQ wake-ups and lifecycle", () => {
  it("an enqueue through another AsyncOmniQ on the same queue instance wakes the worker", async () => {
    const queue = new AsyncMemoryQueue();
    const results = new AsyncMemoryResultStorage();
    const producer = new AsyncOmniQ({ queue, results });
    const consumer = new AsyncOmniQ({ queue, results });
    open.push(consumer);
    consumer.task("t", () => "ok");
    const worker = consumer.worker({ ...FAST, pollIntervalMs: { min: 2000, max: 5000 } });
    await worker.start();
    await new Promise((r) => setTimeout(r, 20));
    const task = await producer.enqueue("t");
    expect((await producer.result(task.id, { waitMs: 1000 })).value).toBe("ok");
  });

  it("close() stops workers, closes the components, and refuses use afterwards", async () => {
    const queue = new AsyncMemoryQueue();
    const events = new AsyncMemoryEventStorage();
    const omniq = new AsyncOmniQ({ queue, events });
    const worker = omniq.worker(FAST);
    await worker.start();
    {
      await using _scoped = omniq;
    }
    expect(worker.state).toBe("stopped");
    await expect(queue.get("x")).rejects.toMatchObject({ name: "ClosedError" });
    await expect(events.query()).rejects.toMatchObject({ name: "ClosedError" });
    expect(() => omniq.task("t", () => 1)).toThrow(
      expect.objectContaining({ name: "ClosedError" }),
    );
    await omniq.close();
  });

  it("logs through the given logger and never logs task args", async () => {
    const lines: Array<{ level: string; obj: unknown; msg?: string }> = [];
    const rec =
      (level: string) =>
      (obj: object | string, msg?: string): void => {
        lines.push({ level, obj, msg });
      };
    const logger: Logger = {
      debug: rec("debug"),
      info: rec("info"),
      warn: rec("warn"),
      error: rec("error"),
    };
    const omniq = new AsyncOmniQ({ queue: new AsyncMemoryQueue(), logger });
    open.push(omniq);
    const t = omniq.task("t", (_secret: string, ctx?: TaskContext) => ctx!.attempt);
    await t.enqueue("s3cr3t-value");
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 2000 });
    expect(lines.some((l) => l.level === "info" && /worker started/.test(l.msg ?? ""))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain("s3cr3t-value");
  });
});
