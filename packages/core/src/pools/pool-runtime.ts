import { UnrecoverableError, ValidationError } from "../errors.js";
import type { Task } from "../models/task.js";
import { rebuildError, serializeError } from "./error-transfer.js";
import type { FromPoolMessage, PoolCallMethod, ToPoolMessage } from "./pool-protocol.js";

/** The context a handler gets inside a pool thread or process (its last argument). */
export interface PoolTaskContext {
  task: Task;
  attempt: number;
  workerId: string;
  /** Aborts when the main side's `ctx.signal` aborts; `signal.reason` is the same kind of error. */
  signal: AbortSignal;
  /** Runs the main side's `ctx.heartbeat()` and waits for it. */
  heartbeat(): Promise<void>;
  /** Runs the main side's `ctx.progress(value)` and waits for it. */
  progress(value: unknown): Promise<void>;
}

type Handler = (...args: unknown[]) => unknown;

/** How the runtime talks to the main thread: a `MessagePort` or the IPC channel. */
export interface PoolPort {
  send(message: FromPoolMessage): void;
  onMessage(listener: (message: ToPoolMessage) => void): void;
}

interface Run {
  controller: AbortController;
  calls: Map<number, { resolve: () => void; reject: (error: Error) => void }>;
}

/**
 * Finds the handler for `name` in the handler module: a named export `name` first,
 * then a property of the default export object.
 */
async function loadHandler(pool: string, moduleUrl: string, name: string): Promise<Handler> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new UnrecoverableError(
      `${pool}: cannot import handler module ${moduleUrl} for task "${name}": ${reason}`,
      { cause },
    );
  }
  const named = name === "default" ? undefined : mod[name];
  if (typeof named === "function") return named as Handler;
  const map = mod.default;
  if (map !== null && typeof map === "object" && Object.hasOwn(map, name)) {
    const handler = (map as Record<string, unknown>)[name];
    if (typeof handler === "function") return handler as Handler;
  }
  const available = [
    ...Object.keys(mod).filter((k) => k !== "default" && typeof mod[k] === "function"),
    ...(map !== null && typeof map === "object"
      ? Object.keys(map).filter((k) => typeof (map as Record<string, unknown>)[k] === "function")
      : []),
  ];
  throw new UnrecoverableError(
    `${pool}: handler module ${moduleUrl} has no handler for task "${name}" ` +
      `(expected a function as named export "${name}" or as default["${name}"]; ` +
      `found: ${available.length > 0 ? available.join(", ") : "none"})`,
  );
}

/**
 * Runs tasks posted by the main thread: one `run` message → import the handler module,
 * call the handler with the task's args and a {@link PoolTaskContext}, post the value or error.
 * Used by the thread and process entry scripts.
 */
export function startPoolRuntime(port: PoolPort): void {
  const runs = new Map<number, Run>();
  let callSeq = 0;

  const post = (message: FromPoolMessage): void => {
    try {
      port.send(message);
    } catch (cause) {
      if (message.type !== "result") throw cause;
      const error = new ValidationError(
        "result",
        `task result cannot be sent to the main thread (values cross by structured clone): ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { cause },
      );
      port.send({ type: "error", id: message.id, error: serializeError(error) });
    }
  };

  const call = (id: number, run: Run, method: PoolCallMethod, value?: unknown): Promise<void> =>
    new Promise((resolve, reject) => {
      const callId = ++callSeq;
      run.calls.set(callId, { resolve, reject });
      const message: FromPoolMessage = { type: "call", id, callId, method };
      if (method === "progress") message.value = value;
      try {
        port.send(message);
      } catch (error) {
        run.calls.delete(callId);
        reject(error);
      }
    });

  const execute = async (message: Extract<ToPoolMessage, { type: "run" }>): Promise<void> => {
    const { id, task } = message;
    const run: Run = { controller: new AbortController(), calls: new Map() };
    runs.set(id, run);
    try {
      const handler = await loadHandler(message.pool, message.module, task.name);
      const ctx: PoolTaskContext = {
        task,
        attempt: message.attempt,
        workerId: message.workerId,
        signal: run.controller.signal,
        heartbeat: () => call(id, run, "heartbeat"),
        progress: (value) => call(id, run, "progress", value),
      };
      const value = await handler(...task.args, ctx);
      post({ type: "result", id, value });
    } catch (error) {
      post({ type: "error", id, error: serializeError(error) });
    } finally {
      runs.delete(id);
    }
  };

  port.onMessage((message) => {
    switch (message.type) {
      case "run":
        void execute(message);
        break;
      case "abort":
        runs.get(message.id)?.controller.abort(rebuildError(message.reason));
        break;
      case "reply": {
        const calls = runs.get(message.id)?.calls;
        const pending = calls?.get(message.callId);
        if (!pending) break;
        calls?.delete(message.callId);
        if (message.error) pending.reject(rebuildError(message.error));
        else pending.resolve();
        break;
      }
    }
  });
  port.send({ type: "ready" });
}
