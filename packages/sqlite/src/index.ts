export { AsyncSQLiteQueue } from "./sqlite-queue.js";
export { AsyncSQLiteResultStorage } from "./sqlite-result-storage.js";
export { AsyncSQLiteEventStorage } from "./sqlite-event-storage.js";
export { SQLiteBackend, type SQLiteBackendOptions } from "./sqlite-backend.js";
export type {
  SQLiteConnectionOptions,
  SQLiteEventStorageOptions,
  SQLiteQueueOptions,
  SQLiteResultStorageOptions,
} from "./sqlite-options.js";
export { MIGRATION_NAMES, MIGRATION_TABLE } from "./migrate.js";
export { omniqUrlFactory, parseSqliteUrl } from "./url-factory.js";
export { SQLiteEventStorage, SQLiteQueue, SQLiteResultStorage } from "./blocking-twins.js";
