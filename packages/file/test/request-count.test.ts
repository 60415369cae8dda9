import { describe, expect, it } from "vitest";
import {
  AsyncFileQueue,
  AsyncFileResultStorage,
  CountingTarget,
  MemoryTarget,
} from "../src/index.js";
import { asAnotherProcess, uniqueName } from "./helpers.js";

const TASKS = 200;

async function run(producer: CountingTarget, consumer: CountingTarget) {
  const q1 = new AsyncFileQueue({ target: producer });
  const q2 = consumer === producer ? q1 : new AsyncFileQueue({ target: consumer, listCacheMs: 50 });
  const results = new AsyncFileResultStorage({ target: consumer });
  await q1.enqueue({ name: "warmup" });
  const w = await q2.dequeue({ workerId: "w" });
  await q2.complete(w!.id, "w");
  producer.reset();
  consumer.reset();
  for (let i = 0; i < TASKS; i++) await q1.enqueue({ name: "n", args: [i] });
  const enqueue = producer.reset();
  // Another process sees new tasks once its last listing is older than listCacheMs.
  if (q2 !== q1) await new Promise((r) => setTimeout(r, 60));
  let done = 0;
  let last: string | undefined;
  for (;;) {
    const t = await q2.dequeue({ workerId: "w" });
    if (!t) break;
    last = t.id;
    const result = {
      taskId: t.id,
      status: "success" as const,
      value: t.args[0],
      attempts: t.attempts,
      startedAt: t.startedAt,
      finishedAt: new Date(),
      durationMs: 0,
      workerId: "w",
      expiresAt: null,
    };
    // What the worker does: the result rides in the completing swap when the queue shares
    // the result store (atomicResults), else it is a separate write.
    if (q2.sharesResultStore(results)) await q2.complete(t.id, "w", { result });
    else {
      await q2.complete(t.id, "w");
      await results.set(result);
    }
    done++;
  }
  expect(done).toBe(TASKS);
  // Closing flushes the stale lease files still queued for deletion: count them too.
  await q1.close();
  if (q2 !== q1) await q2.close();
  const consume = consumer.reset();
  expect((await results.get(last!))?.value).toBe(TASKS - 1);
  await results.close();
  const sum = (c: typeof enqueue) => Object.values(c).reduce((a, b) => a + b, 0);
  return { enqueue, consume, perTask: (sum(enqueue) + sum(consume)) / TASKS };
}

describe("object-store requests per task (enqueue, claim, complete, result), events off", () => {
  it("one process: 4 per task, listings and batched deletes amortised to ~0", async () => {
    const target = new CountingTarget(new MemoryTarget({ name: uniqueName("count") }));
    const r = await run(target, target);
    // enqueue: task record + pending file, each written only if absent (a pending file too:
    // a roll-forward may have taken its name, see roll-forward.test.ts)
    expect(r.enqueue).toMatchObject({ writeIfAbsent: 2 * TASKS, write: 0, read: 0, list: 0 });
    // claim: swap the pending file to running (it is the lease from then on); complete: swap
    // the record (with the result in it); the stale lease files are deleted in batches
    // (`deleteMany`, S3's DeleteObjects). The claimer knows the task from its own enqueue.
    expect(r.consume).toMatchObject({
      read: 0,
      writeIfAbsent: 0,
      writeIfVersion: 2 * TASKS,
      delete: 0,
      write: 0,
    });
    expect(r.consume.list).toBeLessThanOrEqual(2);
    expect(r.consume.deleteMany).toBeGreaterThanOrEqual(1);
    expect(r.consume.deleteMany).toBeLessThanOrEqual(4);
    expect(r.perTask).toBeLessThanOrEqual(4.05);
    console.log("requests per task, one process:", r.perTask, r.enqueue, r.consume);
  });

  it("producer and consumer in different processes: one read more per task", async () => {
    const inner = new MemoryTarget({ name: uniqueName("count2") });
    const producer = new CountingTarget(inner);
    const consumer = asAnotherProcess(new CountingTarget(inner), "other-process");
    const r = await run(producer, consumer);
    expect(r.consume).toMatchObject({
      read: TASKS,
      writeIfAbsent: 0,
      writeIfVersion: 2 * TASKS,
      delete: 0,
      write: 0,
    });
    expect(r.perTask).toBeLessThanOrEqual(5.1);
    console.log("requests per task, two processes:", r.perTask, r.enqueue, r.consume);
  });
});
