import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BackendError,
  type Blocking,
  blockingClass,
  ClosedError,
  ConfigError,
  ConflictError,
  createBlocking,
  LeaseLostError,
  TimeoutError,
  ValidationError,
} from "@omniq/core";
import { AsyncMemoryQueue, type Task } from "@omniq/core";
import { afterAll, afterEach, describe, expect, expectTypeOf, it } from "vitest";

// The worker imports JavaScript, so the component under test is a plain .mjs fixture
// importing the built @omniq/core (run `pnpm --filter @omniq/core build` first).
const FIXTURE = new URL("./fixtures/sync-counter.mjs", import.meta.url).href;

interface CounterOptions {
  start?: number;
  label?: string;
  fail?: boolean;
  closeMarker?: string;
}

interface AsyncCounter {
  readonly capabilities: { crossProcessClaims: boolean; atomicBatches: boolean };
  readonly label: string;
  readonly doubled: number;
  reset(): Promise<number>;
  increment(by?: number): Promise<number>;
  echo<V>(value: V): V;
  roundTrip<V>(value: V): Promise<{
    value: V;
    at: Date;
    map: Map<string, bigint>;
    bytes: Uint8Array;
    big: bigint;
    set: Set<string>;
  }>;
  validate(): Promise<void>;
  loseLease(taskId: string): Promise<void>;
  throwValue(): Promise<void>;
  unserializable(): Promise<unknown>;
  slow(ms: number): Promise<number>;
  exitWorker(code: number): Promise<void>;
  throwUncaught(): Promise<void>;
  close(): Promise<void>;
}

const Counter = blockingClass<AsyncCounter, [CounterOptions?]>(FIXTURE, "AsyncCounter");

const dir = mkdtempSync(join(tmpdir(), "omniq-sync-"));
const open: Array<{ close(): void }> = [];
function track<C extends { close(): void }>(twin: C): C {
  open.push(twin);
  return twin;
}

afterEach(() => {
  for (const twin of open.splice(0)) twin.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("blocking twin built by blockingClass", () => {
  it("exposes the component's methods as own functions and its data properties", () => {
    const counter = track(new Counter({ start: 5, label: "jobs" }));
    expect(counter).toBeInstanceOf(Counter);
    expect(Counter.name).toBe("Counter");
    expect(typeof counter.increment).toBe("function");
    expect(Object.keys(counter)).toEqual(
      expect.arrayContaining(["increment", "echo", "reset", "roundTrip", "close", "capabilities"]),
    );
    expect(Object.keys(counter)).not.toContain("constructor");
    // a function-valued own property (arrow-function field) is a method too
    expect(typeof (counter as unknown as { helper: unknown }).helper).toBe("function");
    expect(counter.capabilities).toEqual({ crossProcessClaims: false, atomicBatches: true });
    expect(counter.label).toBe("jobs");
    expect(counter.blockingSpec).toEqual({
      module: FIXTURE,
      exportName: "AsyncCounter",
      args: [{ start: 5, label: "jobs" }],
    });
  });

  it("returns awaited values synchronously and keeps state in the worker", () => {
    const counter = track(new Counter({ start: 1 }));
    expectTypeOf(counter.increment).returns.toEqualTypeOf<number>();
    expect(counter.increment()).toBe(2);
    expect(counter.increment(10)).toBe(12);
    expect(counter.doubled).toBe(24); // prototype getter, read live
    expect(counter.reset()).toBe(0); // inherited method
    expect(counter.echo("sync method")).toBe("sync method");
  });

  it("carries Date, Map, Set, bigint and Uint8Array both ways", () => {
    const counter = track(new Counter());
    const sent = new Map<string, unknown>([
      ["when", new Date(0)],
      ["n", 3n],
    ]);
    const out = counter.roundTrip(sent);
    // Blocking<T> maps a generic method's type parameters to unknown
    const value = out.value as Map<string, unknown>;
    expect(value).toBeInstanceOf(Map);
    expect(value.get("when")).toEqual(new Date(0));
    expect(value.get("n")).toBe(3n);
    expect(out.at).toBeInstanceOf(Date);
    expect(out.at.toISOString()).toBe("2024-01-02T03:04:05.000Z");
    expect(out.map.get("a")).toBe(1n);
    expect(out.bytes).toBeInstanceOf(Uint8Array);
    expect([...out.bytes]).toEqual([1, 2, 255]);
    expect(out.big).toBe(2n ** 70n);
    expect(out.set.has("x")).toBe(true);
  });
});

describe("errors crossing the bridge", () => {
  it("keeps the class, code, field, and a stack with the worker's and the caller's frames", () => {
    const counter = track(new Counter());
    const err = caught(() => counter.validate());
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.code).toBe("validation");
    expect(v.field).toBe("args[0].when");
    expect(v.name).toBe("ValidationError");
    expect(v.message).toBe("counter: args[0].when must be a Date, got a string");
    expect(v.stack).toContain("sync-counter.mjs");
    expect(v.stack).toContain("sync-bridge.test.ts");
  });

  it("keeps extra fields and the cause chain", () => {
    const counter = track(new Counter());
    const err = caught(() => counter.loseLease("task-1")) as LeaseLostError;
    expect(err).toBeInstanceOf(LeaseLostError);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.code).toBe("lease_lost");
    expect(err.taskId).toBe("task-1");
    const cause = err.cause as BackendError;
    expect(cause).toBeInstanceOf(BackendError);
    expect(cause.code).toBe("backend");
    expect(cause.message).toBe("counter: disk unavailable");
    expect(cause.cause).toBeInstanceOf(TypeError);
    expect((cause.cause as Error).message).toBe("counter: inner");
  });

  it("rethrows a thrown non-error value as it was", () => {
    const counter = track(new Counter());
    expect(caught(() => counter.throwValue())).toEqual({ reason: "plain object", n: 42 });
  });

  it("names the argument that cannot be cloned and reports an uncloneable result", () => {
    const counter = track(new Counter());
    const err = caught(() => counter.echo([1, () => 2])) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe("args[0]");
    const result = caught(() => counter.unserializable()) as BackendError;
    expect(result).toBeInstanceOf(BackendError);
    expect(result.message).toContain("unserializable");
    expect(counter.increment()).toBe(1); // still usable
  });
});

describe("construction", () => {
  it("throws the constructor's error from `new`, class and cause preserved", () => {
    const err = caught(() => new Counter({ fail: true })) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.key).toBe("fail");
    expect(err.cause).toBeInstanceOf(RangeError);
    expect(err.stack).toContain("sync-counter.mjs");
  });

  it("reports a missing export or module", () => {
    const noExport = caught(() =>
      createBlocking({ module: FIXTURE, exportName: "notAClass", args: [] }),
    ) as ValidationError;
    expect(noExport).toBeInstanceOf(ValidationError);
    expect(noExport.field).toBe("exportName");
    expect(noExport.message).toContain("AsyncCounter");
    const noModule = caught(() =>
      createBlocking({ module: new URL("./nope.mjs", FIXTURE).href, exportName: "X", args: [] }),
    ) as Error & { code: string };
    expect(noModule.code).toBe("ERR_MODULE_NOT_FOUND");
    const badArgs = caught(() =>
      createBlocking({ module: FIXTURE, exportName: "AsyncCounter", args: [{ f: () => 1 }] }),
    ) as ValidationError;
    expect(badArgs).toBeInstanceOf(ValidationError);
    expect(badArgs.field).toBe("args[0]");
  });

  it("builds the same component again from blockingSpec", () => {
    const a = track(
      createBlocking<AsyncCounter>({
        module: FIXTURE,
        exportName: "AsyncCounter",
        args: [{ start: 7 }],
      }),
    );
    a.increment();
    const b: Blocking<AsyncCounter> = track(createBlocking<AsyncCounter>(a.blockingSpec));
    expect(b.increment()).toBe(8); // a separate instance built from the same spec
    expect(a.increment()).toBe(9);
  });
});

describe("closing", () => {
  it("runs the component's close() in the worker, then every method throws ClosedError", () => {
    const marker = join(dir, "closed-1");
    const counter = new Counter({ closeMarker: marker, start: 3 });
    counter.increment();
    counter.close();
    expect(readFileSync(marker, "utf8")).toBe("closed at 4");
    const err = caught(() => counter.increment()) as ClosedError;
    expect(err).toBeInstanceOf(ClosedError);
    expect(err.message).toContain("Counter.increment");
    expect(() => counter.doubled).toThrow(ClosedError);
    expect(() => counter.close()).not.toThrow(); // idempotent
  });

  it("disposes with `using`", () => {
    const marker = join(dir, "closed-2");
    let escaped: InstanceType<typeof Counter> | undefined;
    {
      using counter = new Counter({ closeMarker: marker });
      counter.increment(2);
      escaped = counter;
    }
    expect(existsSync(marker)).toBe(true);
    expect(() => escaped?.increment()).toThrow(ClosedError);
  });

  it("surfaces a failing close() and still releases the worker", () => {
    const twin = createBlocking<{ ping(): Promise<string>; close(): Promise<void> }>({
      module: FIXTURE,
      exportName: "AsyncFailingClose",
      args: [],
    });
    expect(twin.ping()).toBe("pong");
    expect(() => twin.close()).toThrow(BackendError);
    expect(() => twin.ping()).toThrow(ClosedError);
    expect(() => twin.close()).not.toThrow();
  });

  it("does not keep the process alive when never closed", () => {
    const script = fileURLToPath(new URL("./fixtures/sync-unref.mjs", import.meta.url));
    const out = execFileSync(process.execPath, [script], { timeout: 30_000, encoding: "utf8" });
    expect(out.trim()).toBe("42");
  });

  it("starts under `node --input-type=module -e` (a flag Node refuses in worker threads)", () => {
    const script = `import { createBlocking } from "@omniq/core";
      const twin = createBlocking({ module: ${JSON.stringify(FIXTURE)}, exportName: "AsyncCounter", args: [{ start: 6 }] });
      console.log(twin.increment()); twin.close();`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      timeout: 30_000,
      encoding: "utf8",
    });
    expect(out.trim()).toBe("7");
  });
});

describe("a real OmniQ component", () => {
  it("runs AsyncMemoryQueue through the bridge: tasks with Dates, typed errors, capabilities", () => {
    const MemoryQueue = blockingClass<AsyncMemoryQueue, []>(
      new URL("../dist/index.js", import.meta.url).href,
      "AsyncMemoryQueue",
    );
    using queue = new MemoryQueue();
    expect(MemoryQueue.name).toBe("MemoryQueue");
    expect(queue.capabilities.atomicBatches).toBe(true);
    const task: Task = queue.enqueue({ name: "email.send", args: ["a@example.com"] });
    expect(task.createdAt).toBeInstanceOf(Date);
    const claimed = queue.dequeue({ workerId: "w1" });
    expect(claimed?.id).toBe(task.id);
    expect(claimed?.status).toBe("running");
    expect(claimed?.leaseUntil).toBeInstanceOf(Date);
    queue.complete(task.id, "w1");
    expect(queue.get(task.id)?.status).toBe("success");
    const err = caught(() => queue.enqueue({ name: "", args: [] })) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe("name");
  });
  it("names an uncloneable argument by its path inside a request object, as the async queue does", async () => {
    const MemoryQueue = blockingClass<AsyncMemoryQueue, []>(
      new URL("../dist/index.js", import.meta.url).href,
      "AsyncMemoryQueue",
    );
    using queue = new MemoryQueue();
    const request = { name: "n", args: [1, { fn() {} }] };
    const err = caught(() => queue.enqueue(request)) as ValidationError;
    const asyncErr = (await new AsyncMemoryQueue()
      .enqueue(request)
      .catch((e: unknown) => e)) as ValidationError;
    expect(asyncErr.field).toBe("args[1].fn");
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe(asyncErr.field);
    expect(err.message.startsWith("args[1].fn: a function cannot be stored")).toBe(true);
    expect(err.message.startsWith(asyncErr.message)).toBe(true);
    const many = caught(() =>
      queue.enqueueMany([
        { name: "n", args: [] },
        { name: "n", metadata: { at: Symbol("x") } },
      ]),
    ) as ValidationError;
    expect(many.field).toBe("args[0]"); // an array argument is named by position ...
    expect(many.message).toContain("args[0][1].metadata.at: a symbol"); // ... its message has the path
    const promise = caught(() =>
      queue.enqueue({ name: "n", metadata: { "a b": [Promise.resolve(1)] } }),
    ) as ValidationError;
    expect(promise.field).toBe('metadata["a b"][0]');
    expect(promise.message).toContain("a Promise cannot be stored");
    expect(queue.count()).toBe(0);
  });
});

describe("worker death and timeouts", () => {
  it("throws BackendError, not a hang, when the worker exits mid-call", () => {
    const counter = track(new Counter());
    const err = caught(() => counter.exitWorker(7)) as BackendError;
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain("exited with code 7");
    const again = caught(() => counter.increment()) as BackendError;
    expect(again).toBeInstanceOf(BackendError);
    expect(again.cause).toBe(err);
    expect(() => counter.close()).not.toThrow();
    expect(() => counter.increment()).toThrow(ClosedError);
  });

  it("throws BackendError with the uncaught error as cause when the worker crashes", () => {
    const counter = track(new Counter());
    const err = caught(() => counter.throwUncaught()) as BackendError;
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain("crashed");
    expect((err.cause as Error).message).toBe("counter: boom in a timer");
  });

  it("throws TimeoutError when construction exceeds startupTimeoutMs", () => {
    const err = caught(() =>
      createBlocking(
        {
          module: new URL("./fixtures/sync-slow-start.mjs", import.meta.url).href,
          exportName: "AsyncSlowStart",
          args: [],
        },
        { startupTimeoutMs: 300 },
      ),
    ) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toContain("startupTimeoutMs");
  });

  it("throws TimeoutError past timeoutMs and stays usable", () => {
    const Timed = blockingClass<AsyncCounter, [CounterOptions?]>(FIXTURE, "AsyncCounter", {
      timeoutMs: 400,
      startupTimeoutMs: 30_000,
    });
    const counter = track(new Timed());
    const started = performance.now();
    const err = caught(() => counter.slow(900)) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toContain("Counter.slow");
    expect(err.message).toContain("400 ms");
    // keep calling until the timed-out call's late reply has come (and was dropped)
    while (performance.now() - started < 1_100) expect(counter.slow(100)).toBe(100);
    expect(counter.increment()).toBe(1);
  });
});
