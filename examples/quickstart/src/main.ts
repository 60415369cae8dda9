// OmniQ quickstart: typed tasks on SQLite, retries, a delay, a timeout, a dependency chain,
// an interval schedule, live progress and each task's event timeline.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { AsyncOmniQ, type TaskContext, type TaskHandle, type TaskResult } from "@omniq/core";
import { SQLiteBackend } from "@omniq/sqlite";
import { Progress } from "./progress.js";

const dir = mkdtempSync(join(tmpdir(), "omniq-quickstart-"));
const failures: string[] = [];
const expect = (ok: boolean, what: string): void => {
  if (!ok) failures.push(what);
};
// A safety net for CI: never hang.
setTimeout(() => {
  console.error("quickstart: did not finish within 20 s");
  process.exit(1);
}, 20_000).unref();

try {
  // One SQLite file holds the tasks, the results and the event log.
  await using omniq = new AsyncOmniQ({
    backend: new SQLiteBackend({ path: join(dir, "omniq.db") }),
  });

  // ---- task definitions: enqueue() is typed by each handler's parameters ----
  const add = omniq.task("add", (a: number, b: number) => a + b);

  const flaky = omniq.task(
    "flaky",
    (name: string, ctx: TaskContext) => {
      if (ctx.attempt < 3) throw new Error(`${name}: service unavailable`);
      return `${name} answered on attempt ${ctx.attempt}`;
    },
    { maxRetries: 3, retry: { backoff: "fixed", delayMs: 200 } },
  );

  const greet = omniq.task("greet", (who: string) => `hello, ${who}`);

  const slow = omniq.task(
    "slow",
    async (ms: number, ctx: TaskContext) => {
      await sleep(ms, undefined, { signal: ctx.signal }); // the signal fires on timeout
      return "finished";
    },
    { timeoutMs: 300, maxRetries: 1, retry: { backoff: "fixed", delayMs: 100 } },
  );

  // A chain: each step runs after the previous one succeeded and reads its result.
  const upstream = async <T>(id: string): Promise<T> =>
    (await omniq.result<T>(id, { waitMs: 0 })).value as T;
  const fetchPrice = omniq.task("price.fetch", (symbol: string) => ({ symbol, usd: 120 }));
  const convert = omniq.task("price.convert", async (priceTask: string, rate: number) => {
    const price = await upstream<{ symbol: string; usd: number }>(priceTask);
    return { symbol: price.symbol, eur: price.usd * rate };
  });
  const report = omniq.task("price.report", async (convertTask: string) => {
    const p = await upstream<{ symbol: string; eur: number }>(convertTask);
    return `${p.symbol}: ${p.eur.toFixed(2)} EUR`;
  });

  let heartbeats = 0;
  const heartbeat = omniq.task("heartbeat", () => ++heartbeats);

  // ---- enqueue a burst ----
  const sums = await add.enqueueMany([
    [1, 2],
    [3, 4],
    [5, 6],
    [7, 8],
  ]);
  const flakyH = await flaky.enqueue("inventory");
  const delayedH = await greet.with({ delayMs: 1000 }).enqueue("later");
  const slowH = await slow.enqueue(5_000);
  const a = await fetchPrice.enqueue("ACME");
  const b = await convert.with({ dependsOn: [a] }).enqueue(a.id, 0.9);
  const c = await report.with({ dependsOn: [b] }).enqueue(b.id);
  const schedule = await heartbeat.schedule({ everyMs: 500, maxRuns: 3 });

  const progress = new Progress(sums.length + 9);
  const worker = omniq.worker({ concurrency: 4 });
  await worker.start();

  const track = <R>(label: string, h: TaskHandle<R>) =>
    progress.track(label, h.result({ waitMs: 10_000 }));
  const sumResults = Promise.all(sums.map((h, i) => track(`add #${i + 1}`, h)));
  const [flakyR, delayedR, slowR, aR, bR, cR] = await Promise.all([
    track("flaky", flakyH),
    track("greet (delayed)", delayedH),
    track("slow (times out)", slowH),
    track("price.fetch", a),
    track("price.convert", b),
    track("price.report", c),
  ]);

  // Scheduled runs are enqueued by the worker at each tick: find them by schedule id.
  const ticks = new Map<string, Promise<TaskResult<number>>>();
  while (ticks.size < 3) {
    for (const t of (await omniq.queue.list({ scheduleId: schedule.id })).items) {
      if (!ticks.has(t.id)) {
        ticks.set(t.id, progress.track(`heartbeat #${ticks.size + 1}`, omniq.result(t.id)));
      }
    }
    await sleep(50);
  }
  const tickResults = await Promise.all(ticks.values());
  progress.end();
  await worker.stop();

  // ---- results ----
  console.log("\nresults:");
  for (const [i, r] of (await sumResults).entries()) {
    const [x, y] = sums[i]!.task.args;
    console.log(`  add(${x}, ${y}) = ${r.value}`);
    expect(r.value === x + y, `add(${x}, ${y}) returned ${r.value}`);
  }
  console.log(`  flaky: ${flakyR.value}`);
  console.log(
    `  greet: ${delayedR.value} (started ${delayedR.startedAt!.getTime() - delayedH.task.createdAt.getTime()} ms after enqueue)`,
  );
  console.log(`  slow: ${slowR.status} (${slowR.error?.message})`);
  console.log(`  chain: ${aR.status} -> ${bR.status} -> ${cR.value}`);
  console.log(`  heartbeat runs: ${tickResults.map((r) => r.value).join(", ")}`);

  // ---- event timelines ----
  console.log("\nevent timelines:");
  const timelines: Array<[string, string]> = [
    ["add #1", sums[0]!.id],
    ["flaky", flakyH.id],
    ["greet", delayedH.id],
    ["slow", slowH.id],
    ["price.report", c.id],
    ["heartbeat sched", schedule.id],
  ];
  const eventTypes = new Map<string, string[]>();
  for (const [label, id] of timelines) {
    const events = await omniq.events(id);
    eventTypes.set(
      label,
      events.map((e) => e.type),
    );
    const t0 = events[0]?.at.getTime() ?? 0;
    const steps = events.map(
      (e) => `${e.type}${e.attempt ? `#${e.attempt}` : ""} +${e.at.getTime() - t0}ms`,
    );
    console.log(`  ${label.padEnd(15)} ${steps.join(" > ")}`);
  }

  // ---- check that everything the demo shows really happened ----
  expect(
    flakyR.status === "success" && flakyR.attempts === 3,
    "flaky did not succeed on attempt 3",
  );
  expect(
    eventTypes.get("flaky")?.filter((t) => t === "retry_scheduled").length === 2,
    "flaky: expected 2 retry_scheduled events",
  );
  expect(delayedR.status === "success", "the delayed task did not succeed");
  expect(
    delayedR.startedAt!.getTime() - delayedH.task.createdAt.getTime() >= 950,
    "the delayed task started before its delay",
  );
  expect(
    slowR.status === "failed" && slowR.error?.kind === "timeout" && slowR.attempts === 2,
    `slow: expected failed as timed out after 2 attempts, got ${slowR.status}/${slowR.error?.kind}/${slowR.attempts}`,
  );
  expect(eventTypes.get("slow")?.includes("timed_out") === true, "slow: no timed_out event");
  expect(cR.value === "ACME: 108.00 EUR", `chain: unexpected report ${cR.value}`);
  expect(
    aR.finishedAt <= bR.startedAt! && bR.finishedAt <= cR.startedAt!,
    "chain: a step started before the previous one finished",
  );
  const fired = (await omniq.getSchedule(schedule.id))?.runCount;
  expect(
    fired === 3 && heartbeats === 3 && tickResults.every((r) => r.status === "success"),
    `schedule: expected 3 successful runs, got runCount ${fired}, ${heartbeats} handler calls`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`\nquickstart FAILED:\n  - ${failures.join("\n  - ")}`);
  process.exit(1);
}
console.log("\nquickstart: everything expected happened");
