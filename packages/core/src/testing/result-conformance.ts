import { describe, expect, it } from "vitest";
import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { Blocking } from "../contracts/common.js";
import type { TaskResult } from "../models/result.js";
import {
  type AsyncOrBlocking,
  type CaseGroup,
  collectPages,
  expectError,
  inMs,
  registerCases,
  sorted,
} from "./conformance-kit.js";

/** A result storage seen by the cases: the async one or its blocking twin. */
export type ResultStorageUnderTest = AsyncOrBlocking<ResultStorage>;
type R = ResultStorageUnderTest;

/** A blocking result storage as the suite needs it. */
export type BlockingResultStorage = Blocking<ResultStorage> & {
  close(): void;
  [Symbol.dispose](): void;
};

export interface ResultStorageConformanceOptions {
  name: string;
  /** A fresh, EMPTY store per call; the suite closes it after each case. */
  create: () => Promise<ResultStorage> | ResultStorage;
}

export interface BlockingResultStorageConformanceOptions {
  name: string;
  create: () => BlockingResultStorage;
}

function result(taskId: string, extra: Partial<TaskResult> = {}): TaskResult {
  return {
    taskId,
    status: "success",
    value: { ok: true },
    attempts: 1,
    startedAt: new Date("2024-01-01T00:00:00.000Z"),
    finishedAt: new Date("2024-01-01T00:00:01.500Z"),
    durationMs: 1500,
    workerId: "w1",
    expiresAt: null,
    name: "n",
    queue: "default",
    ...extra,
  };
}

const cases: CaseGroup<R> = {
  name: "results",
  cases: [
    {
      name: "set then get returns the result; values round-trip (Date, bigint, bytes)",
      async run(r) {
        const when = new Date("2025-02-03T04:05:06.789Z");
        const value = { when, big: 2n ** 70n, bytes: new Uint8Array([9, 8, 7]), list: [1, null] };
        const input = result("r-1", { value });
        await r.set(input);
        const got = await r.get("r-1");
        expect(got).toMatchObject({
          taskId: "r-1",
          status: "success",
          attempts: 1,
          durationMs: 1500,
          workerId: "w1",
          expiresAt: null,
        });
        expect(got!.finishedAt).toEqual(input.finishedAt);
        expect(got!.startedAt).toEqual(input.startedAt);
        const v = got!.value as typeof value;
        expect(v.when).toBeInstanceOf(Date);
        expect(v.when.getTime()).toBe(when.getTime());
        expect(v.big).toBe(2n ** 70n);
        expect(Array.from(v.bytes)).toEqual([9, 8, 7]);
        expect(v.list).toEqual([1, null]);
        expect(await r.get("missing")).toBeNull();
      },
    },
    {
      name: "a failed result keeps its error; set again overwrites",
      async run(r) {
        const error = { name: "TypeError", message: "bad", retryable: false, kind: "handler" };
        await r.set(result("r-f", { status: "failed", value: undefined, error }));
        expect(await r.get("r-f")).toMatchObject({ status: "failed", error });
        await r.set(result("r-f", { value: 42 }));
        expect(await r.get("r-f")).toMatchObject({ status: "success", value: 42 });
        expect((await r.list()).items).toHaveLength(1);
      },
    },
    {
      name: "stored results are copies",
      async run(r) {
        const input = result("r-c", { value: { a: [1] } });
        await r.set(input);
        (input.value as { a: number[] }).a.push(2);
        const got = await r.get("r-c");
        (got!.value as { a: number[] }).a.push(3);
        expect((await r.get("r-c"))!.value).toEqual({ a: [1] });
      },
    },
    {
      name: "setMany and getMany (aligned, null where absent)",
      async run(r) {
        await r.setMany([result("m-1", { value: 1 }), result("m-2", { value: 2 })]);
        const got = await r.getMany(["m-2", "nope", "m-1"]);
        expect(got.map((x) => x?.value ?? null)).toEqual([2, null, 1]);
        expect(await r.getMany([])).toEqual([]);
        await r.setMany([]);
      },
    },
    {
      name: "delete reports whether it existed",
      async run(r) {
        await r.set(result("d-1"));
        expect(await r.delete("d-1")).toBe(true);
        expect(await r.get("d-1")).toBeNull();
        expect(await r.delete("d-1")).toBe(false);
      },
    },
    {
      name: "validation errors name the field",
      async run(r) {
        await expectError(() => r.set(result("../x")), "ValidationError", {
          field: "taskId",
        });
        await expectError(
          () => r.set(result("v-1", { value: { fn: () => 1 } as unknown })),
          "ValidationError",
          { field: "value.fn" },
        );
        await expectError(
          () => r.setMany([result("v-2"), result("v-3", { status: "done" as "success" })]),
          "ValidationError",
          { field: "results[1].status" },
        );
        await expectError(() => r.get("a/b"), "ValidationError", { field: "taskId" });
        expect(await r.get("v-2")).toBeNull();
      },
    },
    {
      name: "list filters by queue and status and pages through 25 with limit 10",
      async run(r) {
        const made: string[] = [];
        for (let i = 0; i < 25; i++) {
          const id = `l-${String(i).padStart(2, "0")}`;
          made.push(id);
          await r.set(result(id, { value: i }));
        }
        await r.set(result("x-fail", { status: "failed", value: undefined, queue: "other" }));
        await r.set(result("x-ok", { queue: "other" }));
        const { items, pages } = await collectPages((cursor) =>
          r.list({ queue: "default", limit: 10, cursor }),
        );
        expect(pages[0]).toHaveLength(10);
        expect(pages[1]).toHaveLength(10);
        expect(pages[2]).toHaveLength(5);
        expect(sorted(items.map((x) => x.taskId))).toEqual(made);
        expect((await r.list({ queue: "other" })).items.map((x) => x.taskId).sort()).toEqual([
          "x-fail",
          "x-ok",
        ]);
        expect((await r.list({ status: "failed" })).items.map((x) => x.taskId)).toEqual(["x-fail"]);
        expect(
          (await r.list({ queue: "other", status: "success" })).items.map((x) => x.taskId),
        ).toEqual(["x-ok"]);
        expect((await r.list()).items).toHaveLength(27);
      },
    },
    {
      name: "TTL: an expired result reads as absent; purgeExpired removes it",
      async run(r) {
        await r.set(result("t-old", { expiresAt: new Date(Date.now() - 1000) }));
        const soon = inMs(60_000);
        await r.set(result("t-soon", { expiresAt: soon }));
        await r.set(result("t-keep"));
        expect(await r.get("t-old")).toBeNull();
        expect((await r.getMany(["t-old", "t-soon"])).map((x) => x?.taskId ?? null)).toEqual([
          null,
          "t-soon",
        ]);
        expect((await r.get("t-soon"))!.expiresAt!.getTime()).toBe(soon.getTime());
        expect(sorted((await r.list()).items.map((x) => x.taskId))).toEqual(["t-keep", "t-soon"]);
        expect(await r.purgeExpired()).toBe(1);
        expect(await r.purgeExpired()).toBe(0);
        expect(await r.purgeExpired(new Date(soon.getTime() + 1))).toBe(1);
        // Removed, not hidden: at the real time it would be live again.
        expect(await r.get("t-soon")).toBeNull();
        expect(await r.get("t-keep")).not.toBeNull();
      },
    },
    {
      name: "use after close is a ClosedError",
      async run(r) {
        await r.set(result("c-1"));
        await r.close();
        await expectError(() => r.get("c-1"), "ClosedError");
        await expectError(() => r.set(result("c-2")), "ClosedError");
        await r.close();
      },
    },
  ],
};

/**
 * The result-storage conformance suite.
 *
 * @example
 * ```ts
 * resultStorageConformance({ name: "sqlite", create: () => new AsyncSQLiteResultStorage({ path }) });
 * ```
 */
export function resultStorageConformance(opts: ResultStorageConformanceOptions): void {
  describe(`${opts.name}: result storage conformance`, () => {
    registerCases<R>([cases], opts.create);
    it("`await using` closes the storage", async () => {
      let ref: ResultStorage | undefined;
      {
        await using r = await opts.create();
        ref = r;
        await r.set(result("u-1"));
      }
      await expectError(() => ref.get("u-1"), "ClosedError");
    });
  });
}

/** The same cases as {@link resultStorageConformance}, run through a blocking result storage. */
export function blockingResultStorageConformance(
  opts: BlockingResultStorageConformanceOptions,
): void {
  describe(`${opts.name}: blocking result storage conformance`, () => {
    registerCases<R>([cases], opts.create);
    it("`using` closes the storage; methods return plain values", async () => {
      let ref: BlockingResultStorage | undefined;
      {
        using r = opts.create();
        ref = r;
        expect(r.set(result("u-1"))).not.toBeInstanceOf(Promise);
        expect(r.get("u-1")).toMatchObject({ taskId: "u-1" });
      }
      await expectError(() => ref.get("u-1"), "ClosedError");
    });
  });
}
