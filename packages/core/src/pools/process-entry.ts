/**
 * Entry script of a {@link ProcessPoolExecutor} child (run from `dist/pools/process-entry.js`,
 * forked with `serialization: "advanced"`). It exits when the parent disconnects, so a child
 * never outlives its pool.
 */
import { serializeError } from "./error-transfer.js";
import type { FromPoolMessage, ToPoolMessage } from "./pool-protocol.js";
import { startPoolRuntime } from "./pool-runtime.js";

const send = process.send?.bind(process);
if (!send) throw new Error("@omniq/core process-entry: must be started with child_process.fork()");

process.on("disconnect", () => process.exit(0));
// Tell the parent why we are dying; the default handler still prints and exits.
process.on("uncaughtExceptionMonitor", (error) => {
  try {
    send({ type: "fatal", error: serializeError(error) } satisfies FromPoolMessage);
  } catch {
    // the channel may already be gone
  }
});
startPoolRuntime({
  send: (message) => {
    send(message);
  },
  onMessage: (listener) => process.on("message", (message) => listener(message as ToPoolMessage)),
});
