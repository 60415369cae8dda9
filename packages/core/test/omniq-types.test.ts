import { describe, expectTypeOf, it } from "vitest";
import {
  AsyncMemoryQueue,
  AsyncOmniQ,
  type EnqueueOptions,
  type Task,
  type TaskArgs,
  type TaskContext,
  type TaskHandle,
  type TaskResult,
} from "../src/index.js";

const omniq = new AsyncOmniQ({ queue: new AsyncMemoryQueue() });

describe("task types are inferred from the handler", () => {
  it("enqueue takes the handler's parameters without a trailing optional context", () => {
    const add = omniq.task("types.add", (a: number, b: number, _ctx?: TaskContext) => a + b);
    expectTypeOf(add.enqueue).parameters.toEqualTypeOf<[a: number, b: number]>();
    expectTypeOf(add.request).parameters.toEqualTypeOf<[a: number, b: number]>();
    expectTypeOf(add.enqueue).returns.resolves.toEqualTypeOf<
      TaskHandle<number, [a: number, b: number]>
    >();
    // Type-level only: never called.
    const _wrong = () => [
      // @ts-expect-error wrong argument type
      add.enqueue("1", 2),
      // @ts-expect-error missing argument
      add.enqueue(1),
      // @ts-expect-error the context is never passed by the caller
      add.enqueue(1, 2, {} as TaskContext),
    ];
    expectTypeOf(_wrong).toBeFunction();
  });

  it("strips a required trailing context and keeps optional task parameters", () => {
    const f = omniq.task("types.f", (name: string, times?: number, _ctx?: TaskContext) =>
      name.repeat(times ?? 1),
    );
    expectTypeOf(f.enqueue).parameters.toEqualTypeOf<[name: string, times?: number]>();
    const g = omniq.task("types.g", (id: string, _ctx: TaskContext) => id);
    expectTypeOf(g.enqueue).parameters.toEqualTypeOf<[id: string]>();
    const h = omniq.task("types.h", () => true);
    expectTypeOf(h.enqueue).parameters.toEqualTypeOf<[]>();
    const only = omniq.task("types.only", (_ctx?: TaskContext) => 1);
    expectTypeOf(only.enqueue).parameters.toEqualTypeOf<[]>();
    expectTypeOf<TaskArgs<(a: unknown, b?: unknown) => void>>().toEqualTypeOf<
      [a: unknown, b?: unknown]
    >();
  });

  it("results are typed by the handler's awaited return type", async () => {
    const fetchUser = omniq.task("types.user", async (id: number) => ({ id, name: "ada" }));
    const handle = await fetchUser.enqueue(1);
    expectTypeOf(handle.result).returns.resolves.toEqualTypeOf<
      TaskResult<{ id: number; name: string }>
    >();
    expectTypeOf(handle.task).toEqualTypeOf<Task<[id: number]>>();
    const r = await handle.result({ waitMs: 0 }).catch(() => null);
    if (r?.status === "success")
      expectTypeOf(r.value).toEqualTypeOf<{ id: number; name: string } | undefined>();
  });

  it("with() and enqueueMany keep the types", () => {
    const add = omniq.task("types.add2", (a: number, b: number) => a + b);
    const delayed = add.with({ delayMs: 100, priority: 5, id: "x", dependsOn: ["y"] });
    expectTypeOf(delayed.enqueue).parameters.toEqualTypeOf<[a: number, b: number]>();
    expectTypeOf(add.enqueueMany).parameters.toEqualTypeOf<
      [argsList: readonly [a: number, b: number][]]
    >();
    expectTypeOf(add.enqueueMany).returns.resolves.toEqualTypeOf<
      TaskHandle<number, [a: number, b: number]>[]
    >();
  });

  it("the untyped API takes names and unknown args; result() is generic", () => {
    expectTypeOf(omniq.enqueue).parameters.toEqualTypeOf<
      [name: string, args?: readonly unknown[], options?: EnqueueOptions]
    >();
    expectTypeOf(omniq.result<string>).returns.resolves.toEqualTypeOf<TaskResult<string>>();
    expectTypeOf(omniq.result).returns.resolves.toEqualTypeOf<TaskResult<unknown>>();
  });
});
