import { runtimeConformance } from "@omniq/core/testing";
import {
  AsyncSQLiteEventStorage,
  AsyncSQLiteQueue,
  AsyncSQLiteResultStorage,
  SQLiteBackend,
} from "../src/index.js";
import { tempDir } from "./helpers.js";

const { file } = tempDir("omniq-sqlite-runtime-");

// One file for all three components, on one connection: the queue writes each result in the
// task's completing transaction (atomicResults).
runtimeConformance({
  name: "sqlite backend (one file)",
  create: () => {
    const backend = new SQLiteBackend({ path: file() });
    return { queue: backend.queue(), results: backend.results(), events: backend.events() };
  },
});

// Each component on its own file and connection: the worker writes results separately.
runtimeConformance({
  name: "sqlite components (separate files)",
  create: () => ({
    queue: new AsyncSQLiteQueue({ path: file() }),
    results: new AsyncSQLiteResultStorage({ path: file() }),
    events: new AsyncSQLiteEventStorage({ path: file() }),
  }),
});
