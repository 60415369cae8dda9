import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PoolExecutor, type PoolExecutorOptions } from "./pool-executor.js";
import type { PoolChild, PoolChildEvents } from "./pool-slot.js";

export interface ProcessPoolExecutorOptions extends PoolExecutorOptions {
  /** Node options of each child (`--max-old-space-size=256`, `--import tsx`). @defaultValue `process.execArgv` */
  execArgv?: string[];
  /** Environment of each child. @defaultValue `process.env` */
  env?: NodeJS.ProcessEnv;
}

const ENTRY = fileURLToPath(new URL("./process-entry.js", import.meta.url));
/** After a polite disconnect, how long a child may take to exit before SIGKILL. */
const SHUTDOWN_KILL_MS = 2000;

/**
 * Runs handlers in a pool of child processes (`child_process.fork`), for CPU-bound handlers
 * and ones you do not trust to keep the worker's process healthy: each has its own heap,
 * its own `execArgv`/`env`, and can be SIGKILLed. Children exit when the pool closes or the
 * parent dies; their stdout/stderr are the parent's.
 *
 * Handler module, context and error handling are as for {@link ThreadPoolExecutor}; values
 * cross with `serialization: "advanced"` (`Date`, `bigint`, `Uint8Array`, `Map` survive).
 * A process that dies mid-attempt (`process.exit()`, an uncaught exception, SIGKILL, OOM)
 * fails it with {@link WorkerCrashedError} and is replaced.
 *
 * @example
 * ```ts
 * const executor = new ProcessPoolExecutor({
 *   module: "./dist/handlers.js",
 *   size: 2,
 *   execArgv: ["--max-old-space-size=512"],
 *   env: { ...process.env, RENDER_MODE: "fast" },
 * });
 * const worker = omniq.worker({ executor });
 * ```
 */
export class ProcessPoolExecutor extends PoolExecutor {
  readonly #execArgv: string[] | undefined;
  readonly #env: NodeJS.ProcessEnv | undefined;

  constructor(options: ProcessPoolExecutorOptions) {
    super("ProcessPoolExecutor", options);
    this.#execArgv = options.execArgv;
    this.#env = options.env;
  }

  protected spawn(events: PoolChildEvents): PoolChild {
    const child = fork(ENTRY, [], {
      serialization: "advanced",
      ...(this.#execArgv ? { execArgv: this.#execArgv } : {}),
      ...(this.#env ? { env: this.#env } : {}),
    });
    let exited = false;
    child.on("message", events.message);
    child.on("error", (error) => {
      // spawn failures end here without an exit event when no pid was assigned
      if (child.pid === undefined && !exited) {
        exited = true;
        events.fatal(error);
        events.exit(null, null);
      }
    });
    child.on("exit", (code, signal) => {
      if (exited) return;
      exited = true;
      events.exit(code, signal);
    });
    const kill = (): void => {
      if (!exited) child.kill("SIGKILL");
    };
    return {
      label: `process ${child.pid ?? "(not started)"}`,
      send: (message) => {
        child.send(message);
      },
      kill,
      shutdown: () => {
        if (exited) return;
        if (child.connected) child.disconnect();
        setTimeout(kill, SHUTDOWN_KILL_MS).unref();
      },
      setRef: (ref) => {
        if (ref) {
          child.ref();
          child.channel?.ref();
        } else {
          child.unref();
          child.channel?.unref();
        }
      },
    };
  }
}
