import { join } from "node:path";
import { removeDb, removeTempDir, tempDir } from "../env.js";
import { forkTs, nextMessage, waitExit } from "../fork.js";
import { advantage, type CaseSpec, Suite } from "../harness.js";
import type { ChildDone } from "./claim-child.js";
import { STORAGE_IMPLS } from "./impls.js";
import { type StorageHandle, type StorageImpl, settle } from "./storage-impl.js";

export interface SqliteSuiteOptions {
  /** Multiplies every size (e.g. 0.1 for a smoke run). @defaultValue 1 */
  scale: number;
  /** Runs per case (fewer for slow peers). @defaultValue 5 */
  runs: number;
}

const PROCESSES = 4;
const BATCH = 100;
const BULK_CHUNK = 1000;

/**
 * Storage level, no worker: enqueue one by one and in bulk, claim+complete one by one and in
 * batches, and the claim loop in 4 OS processes, for OmniQ, the raw better-sqlite3 floor,
 * plainjob and liteque. Every run gets a fresh database file (WAL) in a temp dir.
 */
export async function sqliteSuite(options: SqliteSuiteOptions): Promise<Suite> {
  const suite = new Suite("sqlite");
  const dir = tempDir("sqlite");
  const n = (size: number) => Math.max(BATCH, Math.round(size * options.scale));
  /** liteque's claim sorts every pending row (no covering index): claim cases get 1/5 the tasks. */
  const claimN = (impl: StorageImpl, size: number) =>
    impl.key === "liteque" ? n(size / 5) : n(size);
  let seq = 0;
  const fresh = (impl: StorageImpl) => join(dir, `${impl.key}-${seq++}.db`);
  const runsFor = (impl: StorageImpl) =>
    impl.key === "liteque" ? Math.min(3, options.runs) : options.runs;

  /** Opens a fresh database, runs `fn`, closes and deletes it. */
  const withHandle = async <T>(
    impl: StorageImpl,
    fn: (h: StorageHandle, path: string) => Promise<T>,
  ): Promise<T> => {
    const path = fresh(impl);
    const h = await impl.open(path);
    try {
      return await fn(h, path);
    } finally {
      await h.close();
      removeDb(path);
    }
  };
  const spec = (group: string, impl: StorageImpl, note: string | undefined): CaseSpec => ({
    group,
    impl: impl.name,
    unit: "tasks/s",
    better: "higher",
    runs: runsFor(impl),
    floor: impl.floor,
    note,
  });

  // 1. enqueue one by one
  const oneN = n(10_000);
  const gEnqueue = `enqueue ${kilo(oneN)} one by one`;
  for (const impl of STORAGE_IMPLS) {
    await suite.run(spec(gEnqueue, impl, undefined), () =>
      withHandle(impl, async (h) => {
        const t0 = performance.now();
        for (let i = 0; i < oneN; i++) {
          const r = h.enqueueOne(i);
          if (r instanceof Promise) await r;
        }
        return rate(oneN, t0);
      }),
    );
  }

  // 2. enqueue in bulk
  const bulkN = n(100_000);
  const gBulk = `enqueue ${kilo(bulkN)} in bulk (chunks of ${BULK_CHUNK})`;
  for (const impl of STORAGE_IMPLS) {
    const enqueueBulk = await hasMethod(impl, "enqueueBulk", dir);
    if (!enqueueBulk) {
      suite.skip(spec(gBulk, impl, undefined), "n/a", "no bulk enqueue API");
      continue;
    }
    await suite.run(spec(gBulk, impl, impl.bulkNote), () =>
      withHandle(impl, async (h) => {
        const t0 = performance.now();
        for (let i = 0; i < bulkN; i += BULK_CHUNK) {
          await settle(h.enqueueBulk!(i, Math.min(BULK_CHUNK, bulkN - i)));
        }
        return rate(bulkN, t0);
      }),
    );
  }

  // 3. claim+complete one by one
  const gClaim = `claim+complete ${kilo(oneN)} one by one`;
  const claimOne = (impl: StorageImpl) =>
    withHandle(impl, async (h) => {
      const tasks = claimN(impl, 10_000);
      await h.prefill(tasks);
      const t0 = performance.now();
      let count = 0;
      for (;;) {
        let r = h.claimCompleteOne();
        if (r instanceof Promise) r = await r;
        if (!r) break;
        count++;
      }
      if (count !== tasks) throw new Error(`claimed ${count} of ${tasks}`);
      return rate(count, t0);
    });
  for (const impl of STORAGE_IMPLS) {
    await suite.run(spec(gClaim, impl, sizeNote(impl, claimN(impl, 10_000), impl.claimNote)), () =>
      claimOne(impl),
    );
  }

  // 4. claim+complete in batches
  const gBatch = `claim+complete ${kilo(oneN)} in batches of ${BATCH}`;
  for (const impl of STORAGE_IMPLS) {
    const batched = await hasMethod(impl, "claimCompleteBatch", dir);
    if (batched) {
      await suite.run(spec(gBatch, impl, impl.batchNote), () =>
        withHandle(impl, async (h) => {
          await h.prefill(oneN);
          const t0 = performance.now();
          let count = 0;
          for (;;) {
            let got = h.claimCompleteBatch!(BATCH);
            if (got instanceof Promise) got = await got;
            if (got === 0) break;
            count += got;
          }
          if (count !== oneN) throw new Error(`claimed ${count} of ${oneN}`);
          return rate(count, t0);
        }),
      );
    } else if (impl.key === "plainjob") {
      // The target compares with plainjob, which can only claim one at a time: measure that here.
      await suite.run(spec(gBatch, impl, `no batch API: one by one (${impl.claimNote})`), () =>
        claimOne(impl),
      );
    } else {
      suite.skip(spec(gBatch, impl, undefined), "n/a", "no batch claim API");
    }
  }

  // 5. the claim loop in 4 OS processes
  const gProc = `claim+complete ${PROCESSES} processes × ${kilo(n(10_000))}, one by one`;
  for (const impl of STORAGE_IMPLS) {
    let errors = 0;
    const perProc = impl.key === "liteque" ? n(1000) : n(10_000);
    const result = await suite.run(
      {
        ...spec(gProc, impl, sizeNote(impl, PROCESSES * perProc, impl.claimNote)),
        // A run is 40k tasks in 4 processes: 2 runs (1 for liteque) keep the suite short.
        runs: Math.min(impl.key === "liteque" ? 1 : 2, options.runs),
      },
      async () => {
        const r = await multiProcess(impl, fresh(impl), PROCESSES, perProc);
        errors += r.errors;
        return r.rate;
      },
    );
    if (errors > 0) {
      result.note = `${result.note ?? ""}; ${errors} claims threw and were retried`;
    }
  }

  removeTempDir(dir);
  addTargets(suite, gClaim, gBatch, gBulk);
  return suite;
}

async function multiProcess(
  impl: StorageImpl,
  path: string,
  processes: number,
  perProcess: number,
): Promise<{ rate: number; errors: number }> {
  const total = processes * perProcess;
  const h = await impl.open(path);
  await h.prefill(total);
  await h.close();
  const children = Array.from({ length: processes }, () =>
    forkTs("./sqlite/claim-child.ts", [impl.key, path]),
  );
  try {
    await Promise.all(children.map((c) => nextMessage(c, "ready")));
    const done = children.map((c) => nextMessage<ChildDone & { type: string }>(c, "done", 300_000));
    const t0 = performance.now();
    for (const c of children) c.send("go");
    const results = await Promise.all(done);
    const ms = performance.now() - t0;
    const count = results.reduce((s, r) => s + r.count, 0);
    if (count !== total) {
      const why = results.find((r) => r.firstError)?.firstError ?? "";
      throw new Error(`the ${processes} processes completed ${count} of ${total} ${why}`);
    }
    return { rate: (count / ms) * 1000, errors: results.reduce((s, r) => s + r.errors, 0) };
  } finally {
    await Promise.all(children.map((c) => waitExit(c)));
    removeDb(path);
  }
}

function addTargets(suite: Suite, gClaim: string, gBatch: string, gBulk: string): void {
  const value = (group: string, impl: string) => {
    const c = suite.find(group, impl);
    return c?.status === "ok" ? c.median : null;
  };
  const floor = value(gClaim, "raw");
  const one = value(gClaim, "OmniQ");
  const share = floor !== null && one !== null ? one / floor : null;
  suite.target(
    "one-by-one claim+complete ≥ 60% of the raw floor",
    share,
    (v) => v >= 0.6,
    `${Math.round((share ?? 0) * 100)}% of floor`,
  );
  const batch = value(gBatch, "OmniQ");
  suite.target(
    "batched claim+complete ≥ 30k tasks/s",
    batch,
    (v) => v >= 30_000,
    `${Math.round(batch ?? 0).toLocaleString("en-US")} tasks/s`,
  );
  const plainjob = value(gBatch, "plainjob");
  const times = batch !== null && plainjob !== null ? advantage(batch, plainjob, "higher") : null;
  suite.target(
    "batched claim+complete ≥ 4× plainjob",
    times,
    (v) => v >= 4,
    `${(times ?? 0).toFixed(2)}× plainjob`,
  );
  const bulk = value(gBulk, "OmniQ");
  suite.target(
    "bulk enqueue ≥ 200k tasks/s",
    bulk,
    (v) => v >= 200_000,
    `${Math.round(bulk ?? 0).toLocaleString("en-US")} tasks/s`,
  );
}

/** Whether the implementation's handle has the optional method (opens a throwaway database). */
async function hasMethod(
  impl: StorageImpl,
  method: "enqueueBulk" | "claimCompleteBatch",
  dir: string,
): Promise<boolean> {
  const path = join(dir, `${impl.key}-probe-${method}.db`);
  const h = await impl.open(path);
  const has = typeof h[method] === "function";
  await h.close();
  removeDb(path);
  return has;
}

/** Names a reduced size in the note. */
function sizeNote(impl: StorageImpl, tasks: number, note: string): string {
  return impl.key === "liteque" ? `${kilo(tasks)} tasks only (slow); ${note}` : note;
}

function rate(count: number, t0: number): number {
  return (count / (performance.now() - t0)) * 1000;
}

function kilo(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}
