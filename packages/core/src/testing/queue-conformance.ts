import { describe, expect, it } from "vitest";
import type { Blocking } from "../contracts/common.js";
import type { TaskQueue } from "../contracts/queue-types.js";
import { type CaseGroup, expectError, registerCases } from "./conformance-kit.js";
import { claimCases } from "./queue-cases-claim.js";
import { enqueueCases, type QueueUnderTest } from "./queue-cases-enqueue.js";
import { leaseCases } from "./queue-cases-lease.js";
import { scheduleCases } from "./queue-cases-schedules.js";

export type { QueueUnderTest } from "./queue-cases-enqueue.js";

/** A blocking queue as the suite needs it: the blocking twin of {@link TaskQueue}, disposable. */
export type BlockingTaskQueue = Blocking<TaskQueue> & { close(): void; [Symbol.dispose](): void };

export interface QueueConformanceOptions {
  /** The `describe()` label. */
  name: string;
  /** A fresh, EMPTY store per call; the suite closes it after each case. */
  create: () => Promise<TaskQueue> | TaskQueue;
  /** When given, the queue's declared `capabilities` must match these. */
  capabilities?: { crossProcessClaims?: boolean };
}

export interface BlockingQueueConformanceOptions {
  name: string;
  /** A fresh, EMPTY blocking queue per call; the suite closes it after each case. */
  create: () => BlockingTaskQueue;
  capabilities?: { crossProcessClaims?: boolean };
}

const lifecycleCases: CaseGroup<QueueUnderTest> = {
  name: "lifecycle",
  cases: [
    {
      name: "use after close is a ClosedError; close twice is fine",
      async run(q) {
        const t = await q.enqueue({ name: "n" });
        await q.close();
        await expectError(() => q.enqueue({ name: "n" }), "ClosedError");
        await expectError(() => q.get(t.id), "ClosedError");
        await expectError(() => q.dequeue({ workerId: "w1" }), "ClosedError");
        await expectError(() => q.list(), "ClosedError");
        await expectError(() => q.claimDueSchedules(), "ClosedError");
        await q.close();
      },
    },
  ],
};

const groups = [enqueueCases, claimCases, leaseCases, scheduleCases, lifecycleCases];

function capabilityCase(
  declared: { crossProcessClaims?: boolean } | undefined,
  create: () => unknown,
): void {
  it("declares its capabilities as booleans", async () => {
    const q = (await create()) as { capabilities: TaskQueue["capabilities"]; close(): unknown };
    try {
      for (const key of ["crossProcessClaims", "atomicBatches", "atomicResults"] as const) {
        expect(typeof q.capabilities[key], key).toBe("boolean");
      }
      if (declared?.crossProcessClaims !== undefined) {
        expect(q.capabilities.crossProcessClaims).toBe(declared.crossProcessClaims);
      }
    } finally {
      await q.close();
    }
  });
}

/**
 * The task-queue conformance suite: registers vitest cases that every async queue must pass.
 *
 * @example
 * ```ts
 * import { queueConformance } from "@omniq/core/testing";
 * queueConformance({ name: "sqlite", create: () => new AsyncSQLiteQueue({ path: tmpFile() }) });
 * ```
 */
export function queueConformance(opts: QueueConformanceOptions): void {
  describe(`${opts.name}: queue conformance`, () => {
    registerCases<QueueUnderTest>(groups, opts.create);
    capabilityCase(opts.capabilities, opts.create);
    it("`await using` closes the queue", async () => {
      let ref: TaskQueue | undefined;
      {
        await using q = await opts.create();
        ref = q;
        await q.enqueue({ name: "n" });
      }
      await expectError(() => ref.count(), "ClosedError");
    });
  });
}

/**
 * The same cases as {@link queueConformance}, run through a blocking queue.
 *
 * @example
 * ```ts
 * blockingQueueConformance({ name: "sqlite (blocking)", create: () => new SQLiteQueue({ path: tmpFile() }) });
 * ```
 */
export function blockingQueueConformance(opts: BlockingQueueConformanceOptions): void {
  describe(`${opts.name}: blocking queue conformance`, () => {
    registerCases<QueueUnderTest>(groups, opts.create);
    capabilityCase(opts.capabilities, opts.create);
    it("methods return plain values, not promises", () => {
      const q = opts.create();
      try {
        const t = q.enqueue({ name: "n" });
        expect(t).not.toBeInstanceOf(Promise);
        expect(q.get(t.id)).toEqual(t);
        expect(q.count()).toBe(1);
      } finally {
        q.close();
      }
    });
    it("`using` closes the queue", async () => {
      let ref: BlockingTaskQueue | undefined;
      {
        using q = opts.create();
        ref = q;
        q.enqueue({ name: "n" });
      }
      await expectError(() => ref.count(), "ClosedError");
    });
  });
}
