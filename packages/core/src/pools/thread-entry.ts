/**
 * Entry script of a {@link ThreadPoolExecutor} thread (run from `dist/pools/thread-entry.js`).
 * Crashes surface to the main thread as the Worker's `error`/`exit` events.
 */
import { parentPort } from "node:worker_threads";
import type { ToPoolMessage } from "./pool-protocol.js";
import { startPoolRuntime } from "./pool-runtime.js";

const port = parentPort;
if (!port) throw new Error("@omniq/core thread-entry: must run in a worker thread");
startPoolRuntime({
  send: (message) => port.postMessage(message),
  onMessage: (listener) => port.on("message", (message: ToPoolMessage) => listener(message)),
});
