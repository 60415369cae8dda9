import { type Kysely, sql } from "kysely";

/**
 * Migration 0001: tasks (with their dependency edges), schedules, results, events.
 * Immutable once released: change the schema with a new numbered migration.
 *
 * Times are integer epoch milliseconds; JSON columns are TEXT written by the core codec.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("tasks")
    .addColumn("seq", "integer", (c) => c.primaryKey())
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("args", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) =>
      c
        .notNull()
        .check(sql`status in ('pending', 'running', 'success', 'failed', 'cancelled', 'expired')`),
    )
    .addColumn("priority", "integer", (c) => c.notNull())
    .addColumn("run_at", "integer", (c) => c.notNull())
    .addColumn("created_at", "integer", (c) => c.notNull())
    .addColumn("updated_at", "integer", (c) => c.notNull())
    .addColumn("started_at", "integer")
    .addColumn("finished_at", "integer")
    .addColumn("expires_at", "integer")
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("max_retries", "integer", (c) => c.notNull())
    .addColumn("retry", "text", (c) => c.notNull())
    .addColumn("timeout_ms", "integer")
    .addColumn("depends_on", "text", (c) => c.notNull())
    .addColumn("store_result", "integer", (c) => c.notNull())
    .addColumn("result_ttl_ms", "integer")
    .addColumn("schedule_id", "text")
    .addColumn("metadata", "text", (c) => c.notNull())
    .addColumn("last_error", "text")
    .addColumn("progress", "text")
    .addColumn("worker_id", "text")
    .addColumn("lease_until", "integer")
    .addColumn("cancel_reason", "text")
    .modifyEnd(sql`strict`)
    .execute();

  // Dequeue: the claim query's WHERE and ORDER BY, over pending rows only.
  await db.schema
    .createIndex("tasks_dequeue")
    .on("tasks")
    .columns(["queue", "priority desc", "run_at", "seq"])
    .where(sql.ref("status"), "=", "pending")
    .execute();
  // expireOverdue: pending tasks with a TTL, by expiry.
  await db.schema
    .createIndex("tasks_expiry")
    .on("tasks")
    .column("expires_at")
    .where(sql<boolean>`status = 'pending' and expires_at is not null`)
    .execute();
  // recoverExpiredLeases and count/list of running tasks: running rows only (few: at most
  // what the workers hold). No index over every status: each status change would rewrite its
  // entry twice (claim and complete), the biggest cost of a claim+complete; count/list by a
  // finished status and purge scan the table (maintenance, not the hot path).
  await db.schema
    .createIndex("tasks_lease")
    .on("tasks")
    .column("lease_until")
    .where(sql.ref("status"), "=", "running")
    .execute();
  await db.schema
    .createIndex("tasks_schedule")
    .on("tasks")
    .columns(["schedule_id", "seq"])
    .where(sql<boolean>`schedule_id is not null`)
    .execute();

  // One row per dependency edge: the claim's gate and list({ dependsOn }) are index lookups.
  await db.schema
    .createTable("task_deps")
    .addColumn("task_id", "text", (c) => c.notNull())
    .addColumn("dep_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("task_deps_pk", ["task_id", "dep_id"])
    .modifyEnd(sql`without rowid, strict`)
    .execute();
  await db.schema
    .createIndex("task_deps_dep")
    .on("task_deps")
    .columns(["dep_id", "task_id"])
    .execute();

  await db.schema
    .createTable("schedules")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("args", "text", (c) => c.notNull())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("cron", "text")
    .addColumn("timezone", "text")
    .addColumn("every_ms", "integer")
    .addColumn("at", "integer")
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('active', 'paused')`))
    .addColumn("next_run_at", "integer")
    .addColumn("last_run_at", "integer")
    .addColumn("run_count", "integer", (c) => c.notNull())
    .addColumn("max_runs", "integer")
    .addColumn("task_options", "text", (c) => c.notNull())
    .addColumn("created_at", "integer", (c) => c.notNull())
    .addColumn("updated_at", "integer", (c) => c.notNull())
    .modifyEnd(sql`without rowid, strict`)
    .execute();
  await db.schema
    .createIndex("schedules_due")
    .on("schedules")
    .column("next_run_at")
    .where(sql<boolean>`status = 'active' and next_run_at is not null`)
    .execute();

  await db.schema
    .createTable("results")
    .addColumn("seq", "integer", (c) => c.primaryKey())
    .addColumn("task_id", "text", (c) => c.notNull().unique())
    .addColumn("queue", "text")
    .addColumn("name", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("finished_at", "integer", (c) => c.notNull())
    .addColumn("expires_at", "integer")
    .addColumn("data", "text", (c) => c.notNull())
    .modifyEnd(sql`strict`)
    .execute();
  await db.schema
    .createIndex("results_expiry")
    .on("results")
    .column("expires_at")
    .where(sql<boolean>`expires_at is not null`)
    .execute();
  await db.schema.createIndex("results_queue").on("results").columns(["queue", "seq"]).execute();

  await db.schema
    .createTable("events")
    .addColumn("seq", "integer", (c) => c.primaryKey())
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("task_id", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("at", "integer", (c) => c.notNull())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("worker_id", "text")
    .addColumn("attempt", "integer")
    .addColumn("data", "text")
    .modifyEnd(sql`strict`)
    .execute();
  await db.schema.createIndex("events_at").on("events").columns(["at", "id"]).execute();
  await db.schema
    .createIndex("events_task")
    .on("events")
    .columns(["task_id", "at", "id"])
    .execute();
  await db.schema.createIndex("events_type").on("events").columns(["type", "at", "id"]).execute();
  await db.schema.createIndex("events_queue").on("events").columns(["queue", "at", "id"]).execute();
}
