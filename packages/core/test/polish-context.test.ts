import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  AsyncMemoryQueue,
  AsyncMemoryResultStorage,
  AsyncOmniQ,
  type InProcessTaskContext,
  type TaskArgs,
  type TaskResult,
} from "../src/index.js";

const FAST = { pollIntervalMs: { min: 1, max: 5 }, concurrency: 4 };
const open: AsyncOmniQ[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});
function make(results: AsyncMemoryResultStorage | null = new AsyncMemoryResultStorage()) {
  const omniq = new AsyncOmniQ({ queue: new AsyncMemoryQueue(), results });
  open.push(omniq);
  return omniq;
}

/** Result storage whose writes land late (as a remote store apart from the queue would). */
class SlowResults extends AsyncMemoryResultStorage {
  override async setMany(results: readonly TaskResult[]): Promise<void> {
    await new Promise((r) => setTimeout(r, 300));
    return super.setMany(results);
  }
}

describe("ctx.result() and ctx.dependencies()", () => {
  it("a task reads the results of its dependencies, in dependsOn order", async () => {
    const omniq = make();
    const price = omniq.task("price", (item: string) => ({ item, cents: item.length * 100 }));
    const total = omniq.task("total", async (ctx?: InProcessTaskContext) => {
      const parts = await ctx!.dependencies();
      const first = await ctx!.result<{ item: string; cents: number }>(ctx!.task.dependsOn[0]!);
      return {
        items: parts.map((p) => (p!.value as { item: string }).item),
        cents: parts.reduce((sum, p) => sum + (p!.value as { cents: number }).cents, 0),
        first: first?.value?.item,
      };
    });
    const a = await price.enqueue("ab");
    const b = await price.enqueue("abcd");
    const t = await total.with({ dependsOn: [b, a] }).enqueue();
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 5000 });
    expect((await t.result({ waitMs: 1000 })).value).toEqual({
      items: ["abcd", "ab"],
      cents: 600,
      first: "abcd",
    });
  });

  it("result() is null for an unknown, unfinished or unstored task", async () => {
    const omniq = make();
    const quiet = omniq.task("quiet", () => 1, { storeResult: false });
    const q = await quiet.enqueue();
    const later = await omniq.enqueue("never-defined", [], { delayMs: 60_000 });
    const probe = omniq.task("probe", async (ctx?: InProcessTaskContext) => [
      await ctx!.result("no-such-task"),
      await ctx!.result(later.id),
      await ctx!.result(q.id),
    ]);
    const p = await probe.with({ dependsOn: [q] }).enqueue();
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 5000 });
    expect((await p.result({ waitMs: 1000 })).value).toEqual([null, null, null]);
  });

  it("waits out the gap when the result is written after the task's status", async () => {
    const omniq = make(new SlowResults());
    const one = omniq.task("one", () => 41);
    const next = omniq.task("next", async (ctx?: InProcessTaskContext) => {
      const [dep] = await ctx!.dependencies();
      return (dep?.value as number) + 1;
    });
    const o = await one.enqueue();
    const n = await next.with({ dependsOn: [o] }).enqueue();
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 5000 });
    expect(await n.result({ waitMs: 2000 })).toMatchObject({ status: "success", value: 42 });
  });

  it("without result storage, result() rejects with a ConfigError", async () => {
    const omniq = make(null);
    const seen: unknown[] = [];
    const probe = omniq.task("probe", async (ctx?: InProcessTaskContext) => {
      seen.push(await ctx!.result("any").catch((err: Error) => err));
      seen.push(await ctx!.dependencies());
    });
    await probe.enqueue();
    await omniq.worker(FAST).runUntilIdle({ timeoutMs: 5000 });
    expect(seen[0]).toMatchObject({ name: "ConfigError", key: "results" });
    expect(seen[1]).toEqual([]);
  });

  it("InProcessTaskContext is stripped from enqueue's arguments like TaskContext", () => {
    type H = (a: number, ctx?: InProcessTaskContext) => number;
    expectTypeOf<TaskArgs<H>>().toEqualTypeOf<[a: number]>();
    expectTypeOf<InProcessTaskContext["result"]>().toBeFunction();
  });
});
