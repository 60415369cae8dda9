/**
 * The worker-runtime conformance suite (core's `runtimeConformance`: an AsyncOmniQ and its
 * workers, results, retries, timeouts, TTL, dependencies, cancel, lost leases, graceful stop,
 * schedules, events, progress, concurrency, queue order) on the file backend, so the runtime
 * is proven unchanged on it: FileBackend on a private memory store, and on a local temp dir.
 */
import { runtimeConformance } from "@omniq/core/testing";
import { FileBackend } from "../src/index.js";
import { tempDir, uniqueName } from "./helpers.js";

runtimeConformance({
  name: "file/memory",
  create: () => {
    // A fresh named store per case, shared by the three components (as on disk).
    const backend = new FileBackend({ url: `memory://${uniqueName("runtime")}` });
    return { queue: backend.queue(), results: backend.results(), events: backend.events() };
  },
});

runtimeConformance({
  name: "file/local",
  create: () => {
    const backend = new FileBackend({ baseDir: tempDir("runtime") });
    return { queue: backend.queue(), results: backend.results(), events: backend.events() };
  },
});
