import { ConfigError } from "../errors.js";
import type { HandlerMap } from "../worker/task-executor.js";

type Handler = HandlerMap[string];

function isHandler(value: unknown): value is Handler {
  return (
    typeof value === "function" && !/^class[\s{]/.test(Function.prototype.toString.call(value))
  );
}

/**
 * Imports a handler module in the host thread and returns its handlers by task name, with the
 * convention of the pool executors: function-valued named exports, then the functions of a
 * default-exported object (a named export wins). Classes are not handlers.
 */
export async function loadTaskModule(url: string): Promise<Map<string, Handler>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(
      "tasks",
      `omniq: tasks: cannot import the handler module ${url}: ${reason}`,
      {
        cause,
      },
    );
  }
  const handlers = new Map<string, Handler>();
  for (const [name, value] of Object.entries(mod)) {
    if (name !== "default" && isHandler(value)) handlers.set(name, value);
  }
  const map = mod.default;
  if (map !== null && typeof map === "object") {
    for (const [name, value] of Object.entries(map)) {
      if (isHandler(value) && !handlers.has(name)) handlers.set(name, value);
    }
  }
  return handlers;
}
