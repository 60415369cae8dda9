import { BackendError } from "@omniq/core";
import type { Database } from "better-sqlite3";
import type { Migration } from "kysely/migration";

/** The table where applied migrations are recorded (kysely's Migrator format). */
export const MIGRATION_TABLE = "omniq_migration";
export const MIGRATION_LOCK_TABLE = "omniq_migration_lock";

/**
 * Every migration this version knows, compiled in (names sort in the order they run).
 * Loaded, with kysely, only when a database needs migrating: opening a current database
 * never imports kysely.
 */
const MIGRATIONS: Readonly<Record<string, () => Promise<Migration>>> = {
  "0001_initial": () => import("./migrations/0001-initial.js"),
};

/** Names of this version's migrations, oldest first. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS).sort();

type Retry = <T>(fn: () => T) => T | Promise<T>;

function recorded(db: Database): string[] {
  const table = db
    .prepare("select 1 from sqlite_master where type = 'table' and name = ?")
    .get(MIGRATION_TABLE);
  if (!table) return [];
  return db.prepare(`select name from ${MIGRATION_TABLE}`).pluck().all() as string[];
}

/** `true` when the database is current; throws when a newer OmniQ migrated it. */
function isCurrent(names: readonly string[], path: string): boolean {
  const unknown = names.filter((n) => !Object.hasOwn(MIGRATIONS, n)).sort();
  if (unknown.length > 0) {
    throw new BackendError(
      `sqlite: ${path} was migrated by a newer OmniQ (migration ${unknown.at(-1)}); upgrade @omniq/sqlite (this version knows ${MIGRATION_NAMES.join(", ")})`,
    );
  }
  return names.length === MIGRATION_NAMES.length;
}

async function loadMigrations(): Promise<Record<string, Migration>> {
  const out: Record<string, Migration> = {};
  for (const name of MIGRATION_NAMES) out[name] = await MIGRATIONS[name]!();
  return out;
}

/**
 * Brings the schema up to date. The check is a plain read; migrating runs kysely's
 * Migrator inside one `BEGIN IMMEDIATE` transaction on the same connection, so processes
 * opening a new file at once serialize on SQLite's write lock and migrate exactly once.
 */
export async function migrate(db: Database, path: string, retry: Retry): Promise<void> {
  if (isCurrent(await retry(() => recorded(db)), path)) return;
  await retry(() => db.exec("begin immediate"));
  try {
    if (!isCurrent(recorded(db), path)) {
      const [{ Kysely, SqliteDialect }, { Migrator }] = await Promise.all([
        import("kysely"),
        import("kysely/migration"),
      ]);
      const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: db }) });
      const migrator = new Migrator({
        db: kysely,
        provider: { getMigrations: loadMigrations },
        migrationTableName: MIGRATION_TABLE,
        migrationLockTableName: MIGRATION_LOCK_TABLE,
      });
      // Not kysely.destroy(): that would close the shared better-sqlite3 connection.
      const { error, results } = await migrator.migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === "Error")?.migrationName;
        throw new BackendError(
          `sqlite: ${path}: migration ${failed ?? ""} failed: ${(error as Error).message ?? String(error)}`,
          { cause: error },
        );
      }
    }
    db.exec("commit");
  } catch (err) {
    if (db.inTransaction) db.exec("rollback");
    throw err;
  }
}
