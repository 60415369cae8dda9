import { copyFileSync } from "node:fs";
import {
  blockingEventStorageConformance,
  blockingQueueConformance,
  blockingResultStorageConformance,
  eventStorageConformance,
  queueConformance,
  resultStorageConformance,
} from "@omniq/core/testing";
// The blocking twins run the built package in a worker thread, so they come from dist.
import { SQLiteEventStorage, SQLiteQueue, SQLiteResultStorage } from "@omniq/sqlite";
import {
  AsyncSQLiteEventStorage,
  AsyncSQLiteQueue,
  AsyncSQLiteResultStorage,
  SQLiteBackend,
} from "../src/index.js";
import { tempDir } from "./helpers.js";

const { file } = tempDir();

// Each case gets a fresh file copied from one migrated template: the blocking twins start a
// worker thread per case, and skipping the migration there keeps the suite fast.
const template = file("template.db");
const seed = new AsyncSQLiteQueue({ path: template });
await seed.init();
await seed.close();
const fresh = () => {
  const path = file();
  copyFileSync(template, path);
  return path;
};

for (const [where, path] of [
  ["file", fresh],
  [":memory:", () => ":memory:"],
] as const) {
  const crossProcessClaims = where === "file";
  queueConformance({
    name: `sqlite ${where}`,
    create: () => new AsyncSQLiteQueue({ path: path() }),
    capabilities: { crossProcessClaims },
  });
  blockingQueueConformance({
    name: `sqlite ${where}`,
    create: () => new SQLiteQueue({ path: path() }),
    capabilities: { crossProcessClaims },
  });
  resultStorageConformance({
    name: `sqlite ${where}`,
    create: () => new AsyncSQLiteResultStorage({ path: path() }),
  });
  blockingResultStorageConformance({
    name: `sqlite ${where}`,
    create: () => new SQLiteResultStorage({ path: path() }),
  });
  eventStorageConformance({
    name: `sqlite ${where}`,
    create: () => new AsyncSQLiteEventStorage({ path: path() }),
  });
  blockingEventStorageConformance({
    name: `sqlite ${where}`,
    create: () => new SQLiteEventStorage({ path: path() }),
  });
}

// The backend's queue writes results in the completing transaction (atomicResults).
queueConformance({
  name: "sqlite backend :memory:",
  create: () => new SQLiteBackend({ path: ":memory:" }).queue(),
  capabilities: { crossProcessClaims: false },
});
