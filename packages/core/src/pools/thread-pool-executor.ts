import { Worker, type ResourceLimits } from "node:worker_threads";
import { PoolExecutor, type PoolExecutorOptions } from "./pool-executor.js";
import type { PoolChild, PoolChildEvents } from "./pool-slot.js";

export interface ThreadPoolExecutorOptions extends PoolExecutorOptions {
  /**
   * Heap and stack limits of each thread (`worker_threads` `resourceLimits`). A handler that
   * exceeds them kills its thread: the attempt fails with `WorkerCrashedError`.
   */
  resourceLimits?: ResourceLimits;
}

const ENTRY = new URL("./thread-entry.js", import.meta.url);

/**
 * Runs handlers in a pool of `worker_threads`, for CPU-bound work that would block the
 * worker's event loop. Give it to a worker as its `executor`; the worker still claims tasks,
 * renews leases and records results in the main thread.
 *
 * The handler module is imported in each thread with `import()`, so it must be JavaScript
 * Node can load (build TypeScript first, or start Node with a loader in `execArgv`). A handler
 * gets the task's args, then a context with `task`, `attempt`, `workerId`, `signal` (aborts
 * when the main side's does), `heartbeat()` and `progress(value)` (both run on the main side).
 * Args and results cross by structured clone (`Date`, `bigint`, `Uint8Array`, `Map` survive);
 * errors keep their class (OmniQ's and built-in), `name`, `message`, `stack` and `code`.
 * A thread that dies mid-attempt fails it with {@link WorkerCrashedError} and is replaced.
 *
 * @example
 * ```ts
 * // handlers.js
 * export function thumbnail(path, ctx) { ctx.signal.throwIfAborted(); return resize(path) }
 * // or: export default { thumbnail(path, ctx) { ... } }
 *
 * // main.ts
 * const executor = new ThreadPoolExecutor({
 *   module: new URL("./handlers.js", import.meta.url),
 *   size: 4,
 *   resourceLimits: { maxOldGenerationSizeMb: 256 },
 * });
 * const worker = omniq.worker({ executor });
 * // ... later: await worker.stop(); await executor.close();
 * ```
 */
export class ThreadPoolExecutor extends PoolExecutor {
  readonly #resourceLimits: ResourceLimits | undefined;

  constructor(options: ThreadPoolExecutorOptions) {
    super("ThreadPoolExecutor", options);
    this.#resourceLimits = options.resourceLimits;
  }

  protected spawn(events: PoolChildEvents): PoolChild {
    const worker = new Worker(
      ENTRY,
      this.#resourceLimits ? { resourceLimits: this.#resourceLimits } : {},
    );
    worker.on("message", events.message);
    worker.on("error", events.fatal);
    worker.on("exit", (code) => events.exit(code, null));
    const terminate = (): void => {
      void worker.terminate().catch(() => undefined);
    };
    return {
      label: `thread ${worker.threadId}`,
      send: (message) => worker.postMessage(message),
      kill: terminate,
      shutdown: terminate,
      setRef: (ref) => (ref ? worker.ref() : worker.unref()),
    };
  }
}
