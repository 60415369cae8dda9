import { describe, expect, it } from "vitest";
import {
  AsyncMemoryEventStorage,
  AsyncMemoryQueue,
  AsyncOmniQ,
  ConfigError,
  createOmniQ,
  type Logger,
  silentLogger,
} from "../src/index.js";

describe("createOmniQ", () => {
  it("builds a working facade from configuration, with the configured worker settings", async () => {
    await using omniq = await createOmniQ({
      file: false,
      env: { OMNIQ_URL: "inmemory:", OMNIQ_WORKER_CONCURRENCY: "3", OMNIQ_WORKER_QUEUES: "math" },
      config: { worker: { leaseMs: 5000 } },
    });
    expect(omniq).toBeInstanceOf(AsyncOmniQ);
    expect(omniq.queue).toBeInstanceOf(AsyncMemoryQueue);
    expect(omniq.eventStorage).toBeInstanceOf(AsyncMemoryEventStorage);
    const add = omniq.task("add", (a: number, b: number) => a + b, { queue: "math" });
    const handle = await add.enqueue(2, 3);

    const worker = omniq.worker({ concurrency: 2 });
    expect(worker.options).toMatchObject({ queues: ["math"], concurrency: 2, leaseMs: 5000 });
    await worker.runUntilIdle();
    expect((await handle.result()).value).toBe(5);
    expect(omniq.config.worker).toEqual({ queues: ["math"], concurrency: 3, leaseMs: 5000 });
  });

  it("uses the given logger, else one at logLevel", async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: (o) => lines.push(String(o)),
      info: (o) => lines.push(String(o)),
      warn: (o) => lines.push(String(o)),
      error: (o) => lines.push(String(o)),
    };
    await using custom = await createOmniQ({
      file: false,
      env: {},
      config: { queue: "inmemory:" },
      logger,
    });
    expect(custom.logger).toBe(logger);
    await using leveled = await createOmniQ({
      file: false,
      env: { OMNIQ_LOG_LEVEL: "error" },
      config: { queue: "inmemory:" },
    });
    expect(leveled.logger).not.toBe(silentLogger);
    await using silent = await createOmniQ({
      file: false,
      env: { OMNIQ_LOG_LEVEL: "silent" },
      config: { queue: "inmemory:" },
    });
    expect(silent.logger).toBe(silentLogger);
  });

  it("rejects invalid configuration before building anything", async () => {
    await expect(
      createOmniQ({ file: false, env: { OMNIQ_WORKER_CONCURRENCY: "lots" } }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
