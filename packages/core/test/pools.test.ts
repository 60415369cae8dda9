import { afterEach, describe, expect, it } from "vitest";
import {
  ClosedError,
  ConfigError,
  LeaseLostError,
  TimeoutError,
  UnrecoverableError,
  ValidationError,
} from "../dist/errors.js";
import type { Task } from "../dist/models/task.js";
import {
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  WorkerCrashedError,
} from "../dist/pools/index.js";
import type { PoolExecutorOptions } from "../dist/pools/index.js";
import type { TaskContext } from "../dist/worker/task-executor.js";

const HANDLERS = new URL("./fixtures/pool-handlers.mjs", import.meta.url);
const DEFAULT_HANDLERS = new URL("./fixtures/pool-handlers-default.mjs", import.meta.url);

type Pool = ThreadPoolExecutor | ProcessPoolExecutor;

interface Harness {
  ctx: TaskContext;
  controller: AbortController;
  calls: Array<[string, unknown?]>;
}

let seq = 0;

/** A hand-made TaskContext: real AbortController, heartbeat/progress recording their calls. */
function harness(name: string, args: unknown[] = [], opts: { heartbeat?: () => void } = {}) {
  const now = new Date();
  const task: Task = {
    id: `task-${++seq}`,
    queue: "default",
    name,
    args,
    status: "running",
    priority: 0,
    runAt: now,
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    finishedAt: null,
    expiresAt: null,
    attempts: 1,
    maxRetries: 3,
    retry: { backoff: "exponential", delayMs: 1000, maxDelayMs: 60_000, jitter: 0.2 },
    timeoutMs: null,
    dependsOn: [],
    storeResult: true,
    resultTtlMs: null,
    scheduleId: null,
    metadata: {},
    lastError: null,
    progress: null,
    workerId: "w-1",
    leaseUntil: null,
    cancelReason: null,
  };
  const controller = new AbortController();
  const calls: Harness["calls"] = [];
  const ctx: TaskContext = {
    task,
    attempt: 2,
    signal: controller.signal,
    workerId: "w-1",
    heartbeat: async () => {
      calls.push(["heartbeat"]);
      opts.heartbeat?.();
    },
    progress: async (value) => {
      await new Promise((r) => setTimeout(r, 5)); // the pool must wait for this
      calls.push(["progress", value]);
    },
  };
  return { ctx, controller, calls } satisfies Harness;
}

const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

type Failure = Error & { cause?: Failure } & Record<string, unknown>;

/** The rejection of `promise` (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error("expected a rejection");
}

/** Where `ignoresSignal` said it runs (its first progress call). */
function reported(h: Harness): { pid: number; threadId: number } {
  const call = h.calls[0];
  if (!call) throw new Error("handler has not reported yet");
  return call[1] as { pid: number; threadId: number };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const kinds = [
  {
    kind: "thread",
    make: (o: Partial<PoolExecutorOptions> = {}) =>
      new ThreadPoolExecutor({ module: HANDLERS, size: 2, ...o }),
  },
  {
    kind: "process",
    make: (o: Partial<PoolExecutorOptions> = {}) =>
      new ProcessPoolExecutor({ module: HANDLERS, size: 2, ...o }),
  },
] as const;

describe.each(kinds)("$kind pool", ({ kind, make }) => {
  const pool = (o: Partial<PoolExecutorOptions> = {}): Pool => {
    const p = make(o);
    pools.push(p);
    return p;
  };
  const where = async (p: Pool) =>
    (await p.execute(harness("whoami").ctx)) as { pid: number; threadId: number };

  it("runs a handler with args and a context, and round-trips Date/bigint/Uint8Array/Map", async () => {
    const p = pool();
    expect(await p.execute(harness("add", [2, 3]).ctx)).toBe(5);
    const value = await p.execute(harness("returnsDate").ctx);
    expect(value).toEqual({
      at: new Date(0),
      big: 2n ** 70n,
      bytes: new Uint8Array([1, 2, 3]),
      map: new Map([["k", new Date(1000)]]),
      nested: [{ n: 1.5, s: "x", none: null }],
    });
    const args = [{ when: new Date(7), n: 9n, raw: new Uint8Array([9]) }];
    expect(await p.execute(harness("echo", args).ctx)).toEqual(args[0]);
    const h = harness("inspectContext", ["x"]);
    expect(await p.execute(h.ctx)).toEqual({
      a: "x",
      attempt: 2,
      workerId: "w-1",
      taskId: h.ctx.task.id,
      runAt: h.ctx.task.runAt,
      aborted: false,
    });
  });

  it("finds handlers on a default export object; a named export wins", async () => {
    const p = pool({ module: DEFAULT_HANDLERS.href });
    const h = harness("greet", ["ann"]);
    expect(await p.execute(h.ctx)).toBe("hi ann (attempt 2)");
    expect(h.calls).toEqual([["progress", "hello ann"]]);
    expect(await p.execute(harness("double", [2]).ctx)).toBe(400);
  });

  it("keeps error classes, code, stack and cause; UnrecoverableError stays one", async () => {
    const p = pool();
    const unrecoverable = await failure(p.execute(harness("throwsUnrecoverable").ctx));
    expect(unrecoverable).toBeInstanceOf(UnrecoverableError);
    expect(unrecoverable).toMatchObject({ code: "unrecoverable", message: "card rejected" });
    expect(unrecoverable.stack).toContain("pool-handlers.mjs");

    const custom = await failure(p.execute(harness("throwsCustom").ctx));
    expect(custom).toBeInstanceOf(Error);
    expect(custom).toMatchObject({
      name: "PaymentError",
      message: "insufficient funds",
      code: "E_PAYMENT",
      amount: 42n,
    });
    expect(custom.stack).toContain("throwsCustom");

    const caused = await failure(p.execute(harness("throwsWithCause").ctx));
    expect(caused.message).toBe("outer");
    expect(caused.cause).toBeInstanceOf(RangeError);
    expect(caused.cause?.message).toBe("inner");
  });

  it("fails with UnrecoverableError naming the module and task when either is missing", async () => {
    const p = pool();
    const missing = await failure(p.execute(harness("nope").ctx));
    expect(missing).toBeInstanceOf(UnrecoverableError);
    expect(missing.message).toContain('task "nope"');
    expect(missing.message).toContain(HANDLERS.href);
    expect(missing.message).toContain("add");

    const q = pool({ module: "./does-not-exist/handlers.mjs" });
    const noModule = await failure(q.execute(harness("add", [1, 2]).ctx));
    expect(noModule).toBeInstanceOf(UnrecoverableError);
    expect(noModule.message).toContain("does-not-exist/handlers.mjs");
    expect(noModule.message).toContain('task "add"');
  });

  it("fails with ValidationError when the result cannot be cloned", async () => {
    const p = pool();
    const error = await failure(p.execute(harness("returnsFunction").ctx));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe("result");
    expect(await p.execute(harness("add", [1, 1]).ctx)).toBe(2);
  });

  it("forwards progress() and heartbeat() to the main side and awaits them", async () => {
    const p = pool();
    let beats = 0;
    const h = harness("usesProgress", [], {
      heartbeat: () => {
        if (++beats === 2) throw new LeaseLostError("lease lost", "t-9");
      },
    });
    expect(await p.execute(h.ctx)).toEqual({
      isLeaseLost: true,
      name: "LeaseLostError",
      code: "lease_lost",
      taskId: "t-9",
    });
    expect(h.calls).toEqual([
      ["progress", 1],
      ["heartbeat"],
      ["progress", { step: 2, at: new Date(5) }],
      ["heartbeat"],
    ]);
  });

  it("fails a crashed attempt with WorkerCrashedError and replaces the child", async () => {
    const p = pool({ size: 1 });
    const before = await where(p);
    const error = await failure(p.execute(harness("crashesProcess").ctx));
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ name: "WorkerCrashedError", code: "backend", kind: "crash" });
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('task "crashesProcess"');
    const after = await where(p);
    if (kind === "process") {
      expect(after.pid).not.toBe(before.pid);
      expect(isAlive(before.pid)).toBe(false);
    } else {
      expect(after.threadId).not.toBe(before.threadId);
    }
    expect(p.stats.alive).toBe(1);
  });

  it("treats an uncaught exception in a timer as a crash; other attempts are unaffected", async () => {
    const p = pool();
    const slow = p.execute(harness("slow", [300]).ctx);
    const error = await failure(p.execute(harness("throwsInTimer").ctx));
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error.message).toContain("timer boom");
    expect(error.cause?.message).toBe("timer boom");
    await expect(slow).resolves.toMatchObject({ start: expect.any(Number) });
    expect(await p.execute(harness("add", [1, 2]).ctx)).toBe(3);
  });

  it("forwards an abort; the handler's rejection carries the signal's reason", async () => {
    const p = pool({ size: 1 });
    const before = await where(p);
    const h = harness("slow", [10_000]);
    const running = p.execute(h.ctx);
    setTimeout(() => h.controller.abort(new TimeoutError("task timed out after 50ms")), 50);
    const error = await failure(running);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe("task timed out after 50ms");
    // the well-behaved child is kept
    expect(await where(p)).toEqual(before);
  });

  it("kills and replaces a child whose handler ignores the abort, after abortGraceMs", async () => {
    const p = pool({ size: 1, abortGraceMs: 100 });
    const h = harness("ignoresSignal", [20_000]);
    const running = p.execute(h.ctx);
    await until(() => h.calls.length === 1);
    const { pid, threadId } = reported(h);
    const reason = new TimeoutError("timed out");
    h.controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    const after = await where(p);
    if (kind === "process") {
      expect(isAlive(pid)).toBe(false);
      expect(after.pid).not.toBe(pid);
    } else {
      expect(after.threadId).not.toBe(threadId);
    }
    expect(p.stats.alive).toBe(1);
  });

  it("runs at most `size` attempts at once, in FIFO order", async () => {
    const p = pool({ size: 2 });
    const runs = (await Promise.all(
      [0, 1, 2, 3].map(() => p.execute(harness("slow", [150]).ctx)),
    )) as Array<{ start: number; end: number; pid: number; threadId: number }>;
    const events = runs.flatMap((r) => [
      { at: r.start, d: 1 },
      { at: r.end, d: -1 },
    ]);
    events.sort((a, b) => a.at - b.at || a.d - b.d);
    let running = 0;
    let most = 0;
    for (const e of events) {
      running += e.d;
      most = Math.max(most, running);
    }
    expect(most).toBeLessThanOrEqual(2);
    expect(new Set(runs.map((r) => (kind === "process" ? r.pid : r.threadId))).size).toBe(2);
    // the 3rd and 4th started only after one of the first two ended
    const firstEnd = Math.min(runs[0]!.end, runs[1]!.end);
    expect(runs[2]!.start).toBeGreaterThanOrEqual(firstEnd);
    expect(runs[3]!.start).toBeGreaterThanOrEqual(firstEnd);

    const q = pool({ size: 1 });
    const ordered = (await Promise.all(
      [0, 1, 2].map(() => q.execute(harness("slow", [20]).ctx)),
    )) as Array<{ start: number; end: number }>;
    expect(ordered[1]!.start).toBeGreaterThanOrEqual(ordered[0]!.end);
    expect(ordered[2]!.start).toBeGreaterThanOrEqual(ordered[1]!.end);
  });

  it("drops a waiting call from the line when its signal aborts", async () => {
    const p = pool({ size: 1 });
    const first = p.execute(harness("slow", [200]).ctx);
    const waiting = harness("add", [1, 2]);
    const second = p.execute(waiting.ctx);
    await until(() => p.stats.queued === 1);
    waiting.controller.abort(new Error("cancelled"));
    await expect(second).rejects.toThrow("cancelled");
    expect(p.stats.queued).toBe(0);
    await expect(first).resolves.toMatchObject({ start: expect.any(Number) });
    const aborted = harness("add", [1, 2]);
    aborted.controller.abort(new Error("already"));
    await expect(p.execute(aborted.ctx)).rejects.toThrow("already");
  });

  it("close() waits for running attempts, rejects waiting ones and leaves no child behind", async () => {
    const p = pool({ size: 1 });
    const ran = (await where(p)).pid;
    const running = p.execute(harness("slow", [100]).ctx);
    const queued = failure(p.execute(harness("add", [1, 2]).ctx));
    await until(() => p.stats.queued === 1);
    await p.close();
    await expect(running).resolves.toMatchObject({ start: expect.any(Number) });
    expect(await queued).toBeInstanceOf(ClosedError);
    await expect(p.execute(harness("add", [1, 2]).ctx)).rejects.toBeInstanceOf(ClosedError);
    expect(p.stats.alive).toBe(0);
    if (kind === "process") expect(isAlive(ran)).toBe(false);
  });

  it("close() kills attempts still running after closeGraceMs", async () => {
    const p = pool({ size: 2, closeGraceMs: 50 });
    const h1 = harness("ignoresSignal", [20_000]);
    const h2 = harness("ignoresSignal", [20_000]);
    const r1 = failure(p.execute(h1.ctx));
    const r2 = failure(p.execute(h2.ctx));
    await until(() => h1.calls.length === 1 && h2.calls.length === 1);
    await p.close();
    for (const [r, h] of [
      [r1, h1],
      [r2, h2],
    ] as const) {
      const error = await r;
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.message).toContain("close()");
      const { pid } = reported(h);
      if (kind === "process") expect(isAlive(pid)).toBe(false);
    }
    expect(p.stats).toEqual({ size: 2, alive: 0, busy: 0, queued: 0 });
  });

  it("ends children idle for idleTimeoutMs and starts new ones on demand", async () => {
    const p = pool({ size: 1, idleTimeoutMs: 50 });
    const first = await where(p);
    expect(p.stats.alive).toBe(1);
    await until(() => p.stats.alive === 0);
    if (kind === "process") await until(() => !isAlive(first.pid));
    expect(await p.execute(harness("cpu", [1000]).ctx)).toEqual(expect.any(Number));
  });
});

describe("ThreadPoolExecutor only", () => {
  it("fails an attempt that exceeds resourceLimits with WorkerCrashedError", async () => {
    const p = new ThreadPoolExecutor({
      module: HANDLERS,
      size: 1,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    pools.push(p);
    const error = await failure(p.execute(harness("hog").ctx));
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error.cause?.code).toBe("ERR_WORKER_OUT_OF_MEMORY");
    expect(await p.execute(harness("add", [1, 2]).ctx)).toBe(3);
  });

  it("validates options with ConfigError naming the key", () => {
    expect(() => new ThreadPoolExecutor({ module: HANDLERS, size: 0 })).toThrow(ConfigError);
    expect(() => new ThreadPoolExecutor({ module: "" })).toThrow(/module/);
    const error = (() => {
      try {
        new ProcessPoolExecutor({ module: HANDLERS, abortGraceMs: -1 });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error?.key).toBe("abortGraceMs");
  });
});

describe("ProcessPoolExecutor only", () => {
  it("fails an attempt whose process was SIGKILLed, then replaces it", async () => {
    const p = new ProcessPoolExecutor({ module: HANDLERS, size: 1 });
    pools.push(p);
    const h = harness("ignoresSignal", [20_000]);
    const running = failure(p.execute(h.ctx));
    await until(() => h.calls.length === 1);
    const { pid } = reported(h);
    process.kill(pid, "SIGKILL");
    const error = await running;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ signal: "SIGKILL", exitCode: null });
    expect(error.message).toContain(`process ${pid} killed by SIGKILL`);
    expect(await p.execute(harness("add", [4, 5]).ctx)).toBe(9);
  });

  it("passes env and execArgv to the children", async () => {
    const p = new ProcessPoolExecutor({
      module: HANDLERS,
      size: 1,
      env: { ...process.env, OMNIQ_POOL_TEST: "yes" },
      execArgv: ["--max-old-space-size=64"],
    });
    pools.push(p);
    expect(await p.execute(harness("environment").ctx)).toEqual({
      env: "yes",
      execArgv: ["--max-old-space-size=64"],
    });
  });
});
