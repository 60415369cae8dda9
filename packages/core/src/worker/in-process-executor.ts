import { OmniQError } from "../errors.js";
import type { HandlerMap, TaskContext, TaskExecutor } from "./task-executor.js";

/**
 * Runs handlers in this process, on its event loop: the default executor of a worker.
 * `handlers` is a map or a lookup function (the `AsyncOmniQ` registry passes one, so tasks
 * defined after the worker was created are found too). A task with no handler fails its
 * attempt with `error.kind: "unknown_task"` (retryable: another worker may know it).
 *
 * @example
 * ```ts
 * const executor = new InProcessExecutor({ add: (a: number, b: number) => a + b });
 * const worker = omniq.worker({ executor });
 * ```
 */
export class InProcessExecutor implements TaskExecutor {
  readonly #lookup: (name: string) => HandlerMap[string] | undefined;

  constructor(handlers: HandlerMap | ((name: string) => HandlerMap[string] | undefined)) {
    this.#lookup =
      typeof handlers === "function"
        ? handlers
        : (name) => (Object.hasOwn(handlers, name) ? handlers[name] : undefined);
  }

  async execute(ctx: TaskContext): Promise<unknown> {
    const handler = this.#lookup(ctx.task.name);
    if (!handler) {
      throw new UnknownTaskError(
        `worker: no handler registered for task name ${JSON.stringify(ctx.task.name)} (task ${ctx.task.id}); define it with omniq.task() in this process`,
      );
    }
    return handler(...ctx.task.args, ctx);
  }

  async close(): Promise<void> {}
}

/** The task's name has no handler in this worker. */
export class UnknownTaskError extends OmniQError {
  readonly kind = "unknown_task";
  constructor(message: string) {
    super("not_found", message);
  }
}
