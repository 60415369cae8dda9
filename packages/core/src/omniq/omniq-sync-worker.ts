import type { Blocking } from "../contracts/common.js";
import type { Worker } from "../worker/worker.js";
import type { WorkerState } from "../worker/worker-state.js";
import type { WorkerStats } from "../worker/worker-stats.js";
import type { OmniQHost } from "./omniq-host.js";

/** The OmniQ a worker belongs to (internal). */
export interface WorkerOwner {
  /** The host twin; throws ClosedError once the OmniQ is closed. */
  host(): Blocking<OmniQHost>;
  closed(): boolean;
}

/**
 * A worker of the blocking {@link OmniQ}. It runs inside the OmniQ's thread: after `start()`
 * it keeps claiming and running tasks there while the calling thread does other things; the
 * handlers come from the OmniQ's task module. Made by `omniq.worker(options)`; `omniq.close()`
 * stops it.
 *
 * @example
 * ```ts
 * using worker = omniq.worker({ concurrency: 4 });
 * worker.start();                       // returns at once; the worker runs in the OmniQ's thread
 * const r = omniq.tasks.add.enqueue(1, 2).result({ waitMs: 5000 });
 * worker.stop();                        // graceful, also done by `using`
 *
 * omniq.worker().runUntilIdle({ timeoutMs: 10_000 }); // scripts: run what is due, then stop
 * ```
 */
export class BlockingWorker {
  /** The lease holder id written on claimed tasks. */
  readonly id: string;
  /** The resolved options (a snapshot). */
  readonly options: Worker["options"];
  readonly #owner: WorkerOwner;
  readonly #key: number;

  /** @internal Use `omniq.worker(options)`. */
  constructor(owner: WorkerOwner, made: { key: number; id: string; options: Worker["options"] }) {
    this.#owner = owner;
    this.#key = made.key;
    this.id = made.id;
    this.options = Object.freeze(made.options);
  }

  /** `created`, `running`, `stopping` or `stopped`. */
  get state(): WorkerState {
    return this.#owner.host().workerState(this.#key);
  }

  /** Counters since start (a copy). */
  get stats(): WorkerStats {
    return this.#owner.host().workerStats(this.#key);
  }

  /** Starts claiming in the OmniQ's thread and returns once started. */
  start(): void {
    this.#owner.host().startWorker(this.#key);
  }

  /**
   * Blocks until the worker stopped: stops claiming, lets in-flight tasks finish for up to
   * `gracefulStopMs`, then aborts and releases the rest. Safe to call twice.
   */
  stop(options: { gracefulStopMs?: number } = {}): void {
    this.#owner.host().stopWorker(this.#key, options);
  }

  /**
   * Blocks while the worker runs until no task is due and nothing is in flight, then stops it
   * if this call started it, and returns the stats. Throws `TimeoutError` after `timeoutMs`.
   */
  runUntilIdle(options: { timeoutMs?: number } = {}): WorkerStats {
    return this.#owner.host().runWorkerUntilIdle(this.#key, options);
  }

  /** Stops the worker (a no-op once its OmniQ is closed, which stopped it). */
  [Symbol.dispose](): void {
    if (!this.#owner.closed()) this.stop();
  }
}
