import { uuidv7 } from "@omniq/core";
import { AsyncSQLiteQueue } from "@omniq/sqlite";
import {
  CLAIM,
  COMPLETE,
  COMPLETE_MANY,
  INSERT_LEAN,
  insertLeanRows,
  LEAN_ROWS_MAX,
} from "@omniq/sqlite/sql";
import Database from "better-sqlite3";
import type { StorageHandle, StorageImpl } from "./storage-impl.js";

const WORKER = `floor-${process.pid}`;
const LEASE_MS = 30_000;

/**
 * The floor: better-sqlite3 running OmniQ's own statements (`@omniq/sqlite/sql`: the lean
 * insert, the `UPDATE … RETURNING` claim, the complete) on OmniQ's own schema (created by its
 * migrations, untimed), with nothing around them: no validation, no row decoding, no
 * promises. One-by-one statements run in autocommit as OmniQ's single-queue claim and
 * complete do; bulk inserts and batched completes run in one `BEGIN IMMEDIATE` transaction
 * per call, as OmniQ's do. Ids are OmniQ's time-ordered UUIDv7 (random v4 ids would land at
 * random places in the `id` index: a different, slower workload).
 */
export const rawFloor: StorageImpl = {
  key: "raw",
  name: "raw better-sqlite3 (floor)",
  floor: true,
  claimNote: "UPDATE…RETURNING claim + UPDATE complete",
  bulkNote: "64-row lean INSERTs, 1 tx per 1000",
  batchNote: "claim LIMIT 100 + one COMPLETE_MANY UPDATE",
  async open(path: string): Promise<StorageHandle> {
    const schema = new AsyncSQLiteQueue({ path });
    await schema.init();
    await schema.close();

    const db = new Database(path);
    db.pragma("busy_timeout = 5000");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    const insert = db.prepare(INSERT_LEAN);
    const claim = db.prepare(CLAIM);
    const complete = db.prepare(COMPLETE);
    // INSERT_LEAN params: id, queue, name, args, priority, run_at, max_retries, created_at, updated_at.
    const insertOne = (i: number, now: number) =>
      insert.run(uuidv7(now), "default", "bench", `[${i}]`, 0, now, 3, now, now);

    // The statements OmniQ runs for bulk enqueue: multi-row INSERTs of up to LEAN_ROWS_MAX rows.
    const insertRows = new Map<number, Database.Statement>();
    const bulk = db.transaction((from: number, count: number) => {
      const now = Date.now();
      for (let i = 0; i < count; i += LEAN_ROWS_MAX) {
        const rows = Math.min(LEAN_ROWS_MAX, count - i);
        let stmt = insertRows.get(rows);
        if (!stmt) {
          stmt = db.prepare(insertLeanRows(rows));
          insertRows.set(rows, stmt);
        }
        const params: unknown[] = [];
        for (let j = 0; j < rows; j++) {
          params.push(uuidv7(now), "default", "bench", `[${from + i + j}]`, 0, now, 3, now, now);
        }
        stmt.run(params);
      }
    });
    // ...and for batched completions: one UPDATE over a JSON array of ids.
    const completeMany = db.prepare(COMPLETE_MANY);
    const completeAll = db.transaction((rows: Array<{ id: string }>) => {
      const now = Date.now();
      completeMany.all(now, now, JSON.stringify(rows.map((r) => r.id)), WORKER);
    });
    const claimRows = (limit: number) => {
      const now = Date.now();
      return claim.all(WORKER, now + LEASE_MS, now, now, "default", now, now, limit) as Array<{
        id: string;
      }>;
    };

    return {
      enqueueOne(i) {
        insertOne(i, Date.now());
      },
      enqueueBulk(from, count) {
        bulk.immediate(from, count);
      },
      claimCompleteOne() {
        const [row] = claimRows(1);
        if (!row) return false;
        const now = Date.now();
        complete.get(now, now, row.id, WORKER);
        return true;
      },
      claimCompleteBatch(limit) {
        const rows = claimRows(limit);
        if (rows.length > 0) completeAll.immediate(rows);
        return rows.length;
      },
      async prefill(n) {
        for (let i = 0; i < n; i += 1000) bulk.immediate(i, Math.min(1000, n - i));
      },
      close() {
        db.close();
      },
    };
  },
};
