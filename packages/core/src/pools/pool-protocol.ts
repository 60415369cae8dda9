import type { Task } from "../models/task.js";
import type { SerializedError } from "./error-transfer.js";

/** Messages from the main thread to a pool thread or process. */
export type ToPoolMessage =
  | {
      type: "run";
      id: number;
      /** Executor class name, used to prefix error messages. */
      pool: string;
      /** File URL of the handler module. */
      module: string;
      task: Task;
      attempt: number;
      workerId: string;
    }
  | { type: "abort"; id: number; reason: SerializedError }
  | { type: "reply"; id: number; callId: number; error?: SerializedError };

/** A context method a handler in the pool calls on the main side. */
export type PoolCallMethod = "heartbeat" | "progress";

/** Messages from a pool thread or process to the main thread. */
export type FromPoolMessage =
  | { type: "ready" }
  | { type: "result"; id: number; value: unknown }
  | { type: "error"; id: number; error: SerializedError }
  | { type: "call"; id: number; callId: number; method: PoolCallMethod; value?: unknown }
  /** An uncaught error is about to end the process (sent on a best-effort basis). */
  | { type: "fatal"; error: SerializedError };
