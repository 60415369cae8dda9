import { afterEach, describe, expect, it } from "vitest";
import { ClosedError } from "../dist/errors.js";
import { AsyncMemoryQueue, AsyncMemoryResultStorage } from "../dist/memory/index.js";
import { ThreadPoolExecutor } from "../dist/pools/index.js";
import { Worker } from "../dist/worker/index.js";

const HANDLERS = new URL("./fixtures/pool-handlers.mjs", import.meta.url);

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe("a worker running its handlers on a ThreadPoolExecutor", () => {
  it("runs tasks end to end: values, progress, retries and non-retries", async () => {
    const queue = new AsyncMemoryQueue();
    const results = new AsyncMemoryResultStorage();
    const executor = new ThreadPoolExecutor({ module: HANDLERS, size: 2, abortGraceMs: 100 });
    cleanup.push(
      () => queue.close(),
      () => results.close(),
      () => executor.close(),
    );
    const worker = new Worker(
      { queue, results },
      { executor, concurrency: 2, schedules: false, workerId: "pool-e2e" },
    );

    const payload = { when: new Date(3), big: 12n, bytes: new Uint8Array([7, 8]) };
    const add = await queue.enqueue({ name: "add", args: [2, 3] });
    const echo = await queue.enqueue({ name: "echo", args: [payload] });
    const progress = await queue.enqueue({ name: "usesProgress" });
    const unrecoverable = await queue.enqueue({ name: "throwsUnrecoverable", maxRetries: 3 });
    const crashFinal = await queue.enqueue({ name: "crashesProcess", maxRetries: 0 });
    const crashRetry = await queue.enqueue({
      name: "crashesProcess",
      maxRetries: 2,
      retry: { delayMs: 60_000, jitter: 0 },
    });
    const unknown = await queue.enqueue({ name: "noSuchHandler", maxRetries: 3 });
    // ignores its signal and would spin for 20 s: the timeout aborts it, the pool kills it
    const spinner = await queue.enqueue({
      name: "ignoresSignal",
      args: [20_000],
      timeoutMs: 100,
      maxRetries: 0,
    });

    const stats = await worker.runUntilIdle({ timeoutMs: 15_000 });

    expect((await results.get(add.id))?.value).toBe(5);
    expect((await results.get(echo.id))?.value).toEqual(payload);

    const progressed = await queue.get(progress.id);
    expect(progressed?.status).toBe("success");
    expect(progressed?.progress).toEqual({ step: 2, at: new Date(5) });
    expect((await results.get(progress.id))?.value).toBe("no lease error");

    const failedAtOnce = await queue.get(unrecoverable.id);
    expect(failedAtOnce).toMatchObject({ status: "failed", attempts: 1 });
    expect(failedAtOnce?.lastError).toMatchObject({
      name: "UnrecoverableError",
      message: "card rejected",
      retryable: false,
    });

    const missing = await queue.get(unknown.id);
    expect(missing).toMatchObject({ status: "failed", attempts: 1 });
    expect(missing?.lastError?.message).toContain('task "noSuchHandler"');

    expect((await queue.get(crashFinal.id))?.lastError).toMatchObject({
      name: "WorkerCrashedError",
      kind: "crash",
      retryable: false,
    });
    const retrying = await queue.get(crashRetry.id);
    expect(retrying).toMatchObject({ status: "pending", attempts: 1 });
    expect(retrying?.lastError).toMatchObject({
      name: "WorkerCrashedError",
      kind: "crash",
      retryable: true,
    });

    expect((await queue.get(spinner.id))?.lastError).toMatchObject({
      name: "TimeoutError",
      kind: "timeout",
    });
    expect(stats.succeeded).toBe(3);

    // the worker closes its executor when it stops
    expect(executor.stats.alive).toBe(0);
    await expect(
      executor.execute({
        task: (await queue.get(add.id))!,
        attempt: 1,
        signal: new AbortController().signal,
        workerId: "x",
        heartbeat: async () => {},
        progress: async () => {},
      }),
    ).rejects.toBeInstanceOf(ClosedError);
  });
});
