import { afterEach, describe, expect, it } from "vitest";
import {
  AsyncMemoryEventStorage,
  AsyncMemoryQueue,
  AsyncMemoryResultStorage,
  AsyncOmniQ,
  type Backend,
} from "../src/index.js";

/** A real backend made of the memory components; counts what was built and closed. */
class MemoryBackend implements Backend {
  readonly built: string[] = [];
  closed = 0;
  #queue = new AsyncMemoryQueue();
  #results = new AsyncMemoryResultStorage();
  #events = new AsyncMemoryEventStorage();
  queue() {
    this.built.push("queue");
    return this.#queue;
  }
  results() {
    this.built.push("results");
    return this.#results;
  }
  events() {
    this.built.push("events");
    return this.#events;
  }
  async close() {
    this.closed++;
    await Promise.all([this.#queue.close(), this.#results.close(), this.#events.close()]);
  }
}

const open: AsyncOmniQ[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

describe("new AsyncOmniQ({ backend })", () => {
  it("takes the queue, results and events from the backend and closes it on close()", async () => {
    const backend = new MemoryBackend();
    const omniq = new AsyncOmniQ({ backend });
    expect(backend.built.sort()).toEqual(["events", "queue", "results"]);
    expect(omniq.backend).toBe(backend);
    const add = omniq.task("add", (a: number, b: number) => a + b);
    const h = await add.enqueue(2, 3);
    await omniq.worker({ pollIntervalMs: { min: 1, max: 10 } }).runUntilIdle({ timeoutMs: 5000 });
    expect(await h.result({ waitMs: 2000 })).toMatchObject({ status: "success", value: 5 });
    expect((await backend.results().get(h.id))?.value).toBe(5);
    expect((await omniq.events(h.id)).map((e) => e.type)).toContain("succeeded");
    await omniq.close();
    expect(backend.closed).toBe(1);
    await omniq.close();
    expect(backend.closed).toBe(1);
    await expect(backend.queue().count()).rejects.toMatchObject({ name: "ClosedError" });
  });

  it("results: null and events: null switch a component off (the backend does not build it)", async () => {
    const backend = new MemoryBackend();
    const omniq = new AsyncOmniQ({ backend, results: null, events: null });
    open.push(omniq);
    expect(backend.built).toEqual(["queue"]);
    expect(omniq.results).toBeUndefined();
    expect(omniq.eventStorage).toBeUndefined();
    await expect(omniq.events("x")).rejects.toMatchObject({ name: "ConfigError" });
  });

  it("explicit components override the backend's; all of them and the backend are closed", async () => {
    const backend = new MemoryBackend();
    const results = new AsyncMemoryResultStorage();
    const queue = new AsyncMemoryQueue();
    const omniq = new AsyncOmniQ({ backend, queue, results });
    expect(omniq.queue).toBe(queue);
    expect(omniq.results).toBe(results);
    expect(backend.built).toEqual(["events"]);
    await omniq.close();
    expect(backend.closed).toBe(1);
    await expect(queue.count()).rejects.toMatchObject({ name: "ClosedError" });
    await expect(results.get("x")).rejects.toMatchObject({ name: "ClosedError" });
  });

  it("rejects options with neither a queue nor a backend, and a backend that is not one", () => {
    expect(() => new AsyncOmniQ({} as never)).toThrow(
      expect.objectContaining({ name: "ValidationError", field: "queue" }),
    );
    expect(() => new AsyncOmniQ({ backend: { queue: () => null } } as never)).toThrow(
      expect.objectContaining({ name: "ValidationError", field: "backend" }),
    );
  });
});
