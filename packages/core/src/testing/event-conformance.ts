import { describe, expect, it } from "vitest";
import type { EventStorage } from "../contracts/base-event-storage.js";
import type { Blocking } from "../contracts/common.js";
import type { NewTaskEvent, TaskEvent } from "../models/event.js";
import {
  type AsyncOrBlocking,
  type CaseGroup,
  collectPages,
  expectError,
  registerCases,
} from "./conformance-kit.js";

/** An event storage seen by the cases: the async one or its blocking twin. */
export type EventStorageUnderTest = AsyncOrBlocking<EventStorage>;
type E = EventStorageUnderTest;

/** A blocking event storage as the suite needs it. */
export type BlockingEventStorage = Blocking<EventStorage> & {
  close(): void;
  [Symbol.dispose](): void;
};

export interface EventStorageConformanceOptions {
  name: string;
  /** A fresh, EMPTY store per call; the suite closes it after each case. */
  create: () => Promise<EventStorage> | EventStorage;
}

export interface BlockingEventStorageConformanceOptions {
  name: string;
  create: () => BlockingEventStorage;
}

const T0 = Date.parse("2024-03-01T00:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000);
const ids = (events: readonly TaskEvent[]) => events.map((e) => e.id);

/** 30 events: taskIds t-0..t-2, queues q-a/q-b, one second apart, types cycling. */
function sample(): NewTaskEvent[] {
  const types = ["enqueued", "claimed", "succeeded"] as const;
  return Array.from({ length: 30 }, (_, i) => ({
    id: `ev-${String(i).padStart(2, "0")}`,
    taskId: `t-${i % 3}`,
    type: types[i % 3]!,
    queue: i < 15 ? "q-a" : "q-b",
    at: at(i),
    attempt: 1,
  }));
}

const cases: CaseGroup<E> = {
  name: "events",
  cases: [
    {
      name: "append fills id, at and nulls; query by taskId returns it",
      async run(ev) {
        const before = Date.now();
        const e = await ev.append({ taskId: "task-1", type: "enqueued", queue: "default" });
        expect(typeof e.id).toBe("string");
        expect(e.at.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(e).toMatchObject({
          taskId: "task-1",
          type: "enqueued",
          workerId: null,
          attempt: null,
          data: null,
        });
        const page = await ev.query({ taskId: "task-1" });
        expect(page.items).toEqual([e]);
        expect(page.nextCursor).toBeNull();
        expect((await ev.query({ taskId: "task-2" })).items).toEqual([]);
      },
    },
    {
      name: "data round-trips (Date, bigint) and stored events are copies",
      async run(ev) {
        const data = { when: new Date(0), n: 10n, nested: { list: [1, "a"] } };
        const e = await ev.append({
          taskId: "task-d",
          type: "failed",
          queue: "default",
          workerId: "w1",
          attempt: 2,
          data,
        });
        data.nested.list.push("mutated");
        const [got] = (await ev.query({ taskId: "task-d" })).items;
        expect(got).toMatchObject({ id: e.id, workerId: "w1", attempt: 2, type: "failed" });
        expect(got!.data).toEqual({ when: new Date(0), n: 10n, nested: { list: [1, "a"] } });
        (got!.data!.nested as { list: unknown[] }).list.push("again");
        expect((await ev.query({ taskId: "task-d" })).items[0]!.data).toEqual({
          when: new Date(0),
          n: 10n,
          nested: { list: [1, "a"] },
        });
      },
    },
    {
      name: "appendMany keeps order; query filters by queue and types",
      async run(ev) {
        const out = await ev.appendMany(sample());
        expect(ids(out)).toEqual(sample().map((e) => e.id));
        const qb = await ev.query({ queue: "q-b", limit: 100 });
        expect(ids(qb.items)).toEqual(
          sample()
            .slice(15)
            .map((e) => e.id),
        );
        const claimed = await ev.query({ types: ["claimed"], limit: 100 });
        expect(claimed.items).toHaveLength(10);
        expect(claimed.items.every((e) => e.type === "claimed")).toBe(true);
        const two = await ev.query({
          types: ["claimed", "succeeded"],
          queue: "q-a",
          taskId: "t-1",
        });
        expect(ids(two.items)).toEqual(["ev-01", "ev-04", "ev-07", "ev-10", "ev-13"]);
        expect(await ev.appendMany([])).toEqual([]);
      },
    },
    {
      name: "since is inclusive, until exclusive",
      async run(ev) {
        await ev.appendMany(sample());
        const w = await ev.query({ since: at(5), until: at(9) });
        expect(ids(w.items)).toEqual(["ev-05", "ev-06", "ev-07", "ev-08"]);
        expect(ids((await ev.query({ since: at(28) })).items)).toEqual(["ev-28", "ev-29"]);
        expect(ids((await ev.query({ until: at(2) })).items)).toEqual(["ev-00", "ev-01"]);
        expect((await ev.query({ since: at(9), until: at(9) })).items).toEqual([]);
      },
    },
    {
      name: "order asc/desc by at then id, limit, and cursor paging in both orders",
      async run(ev) {
        // Appended out of order, two events sharing one `at`.
        const shuffled = sample().reverse();
        await ev.appendMany(shuffled);
        await ev.append({ id: "ev-05b", taskId: "t-x", type: "claimed", queue: "q-a", at: at(5) });
        await ev.append({ id: "ev-05a", taskId: "t-x", type: "claimed", queue: "q-a", at: at(5) });
        const expected = sample().map((e) => e.id!);
        expected.splice(6, 0, "ev-05a", "ev-05b");
        expect(ids((await ev.query({ limit: 1000 })).items)).toEqual(expected);
        expect(ids((await ev.query({ order: "desc", limit: 1000 })).items)).toEqual(
          [...expected].reverse(),
        );
        expect(ids((await ev.query({ limit: 3 })).items)).toEqual(expected.slice(0, 3));
        expect(ids((await ev.query({ limit: 3, order: "desc" })).items)).toEqual(
          [...expected].reverse().slice(0, 3),
        );
        for (const order of ["asc", "desc"] as const) {
          const { items, pages } = await collectPages((cursor) =>
            ev.query({ order, limit: 10, cursor }),
          );
          expect(pages.slice(0, 3).map((p) => p.length)).toEqual([10, 10, 10]);
          expect(ids(items)).toEqual(order === "asc" ? expected : [...expected].reverse());
        }
        const win = await collectPages((cursor) =>
          ev.query({ queue: "q-a", since: at(3), until: at(12), limit: 4, cursor }),
        );
        expect(ids(win.items)).toEqual(expected.filter((id) => id >= "ev-03" && id < "ev-12"));
      },
    },
    {
      name: "purge deletes events before the given time (exclusive)",
      async run(ev) {
        await ev.appendMany(sample());
        expect(await ev.purge({ before: at(10) })).toBe(10);
        const rest = await ev.query({ limit: 100 });
        expect(rest.items).toHaveLength(20);
        expect(rest.items[0]!.id).toBe("ev-10");
        expect(await ev.purge({ before: at(10) })).toBe(0);
        await expectError(
          () => ev.purge({ before: "yesterday" as unknown as Date }),
          "ValidationError",
          {
            field: "before",
          },
        );
      },
    },
    {
      name: "validation errors name the field",
      async run(ev) {
        await expectError(
          () => ev.append({ taskId: "t", type: "nope" as "enqueued", queue: "default" }),
          "ValidationError",
          { field: "type" },
        );
        await expectError(
          () => ev.append({ taskId: "../t", type: "enqueued", queue: "default" }),
          "ValidationError",
          { field: "taskId" },
        );
        await expectError(
          () =>
            ev.appendMany([
              { taskId: "t", type: "enqueued", queue: "default" },
              { taskId: "t", type: "enqueued", queue: "a b" },
            ]),
          "ValidationError",
          { field: "events[1].queue" },
        );
        await expectError(() => ev.query({ types: ["bogus" as "enqueued"] }), "ValidationError", {
          field: "types[0]",
        });
        await expectError(() => ev.query({ limit: 0 }), "ValidationError", { field: "limit" });
        expect((await ev.query()).items).toEqual([]);
      },
    },
    {
      name: "use after close is a ClosedError",
      async run(ev) {
        await ev.append({ taskId: "t", type: "enqueued", queue: "default" });
        await ev.close();
        await expectError(() => ev.query(), "ClosedError");
        await expectError(
          () => ev.append({ taskId: "t", type: "enqueued", queue: "default" }),
          "ClosedError",
        );
        await ev.close();
      },
    },
  ],
};

/**
 * The event-storage conformance suite.
 *
 * @example
 * ```ts
 * eventStorageConformance({ name: "sqlite", create: () => new AsyncSQLiteEventStorage({ path }) });
 * ```
 */
export function eventStorageConformance(opts: EventStorageConformanceOptions): void {
  describe(`${opts.name}: event storage conformance`, () => {
    registerCases<E>([cases], opts.create);
    it("`await using` closes the storage", async () => {
      let ref: EventStorage | undefined;
      {
        await using ev = await opts.create();
        ref = ev;
        await ev.append({ taskId: "t", type: "enqueued", queue: "default" });
      }
      await expectError(() => ref.query(), "ClosedError");
    });
  });
}

/** The same cases as {@link eventStorageConformance}, run through a blocking event storage. */
export function blockingEventStorageConformance(
  opts: BlockingEventStorageConformanceOptions,
): void {
  describe(`${opts.name}: blocking event storage conformance`, () => {
    registerCases<E>([cases], opts.create);
    it("`using` closes the storage; methods return plain values", async () => {
      let ref: BlockingEventStorage | undefined;
      {
        using ev = opts.create();
        ref = ev;
        const e = ev.append({ taskId: "t", type: "enqueued", queue: "default" });
        expect(e).not.toBeInstanceOf(Promise);
        expect(ev.query({ taskId: "t" }).items).toHaveLength(1);
      }
      await expectError(() => ref.query(), "ClosedError");
    });
  });
}
