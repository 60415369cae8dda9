import type { TaskContext } from "../worker/task-executor.js";
import { rebuildError, serializeError } from "./error-transfer.js";
import type { FromPoolMessage, ToPoolMessage } from "./pool-protocol.js";
import { WorkerCrashedError } from "./worker-crashed-error.js";

/** One thread or process as a pool sees it (made by the executor's `spawn`). */
export interface PoolChild {
  /** `"thread 3"`, `"process 4242"`: used in error messages. */
  readonly label: string;
  /** Posts a message; throws when the payload cannot be cloned. */
  send(message: ToPoolMessage): void;
  /** Ends it now (terminate / SIGKILL); `exit` follows. */
  kill(): void;
  /** Ends it politely (terminate / disconnect, SIGKILL after a while); `exit` follows. */
  shutdown(): void;
  /** Whether it keeps the main event loop alive (only while busy). */
  setRef(ref: boolean): void;
}

/** What a child reports; the executor's `spawn` wires the thread's or process's events to it. */
export interface PoolChildEvents {
  message(message: FromPoolMessage): void;
  /** An error that will end the child (uncaught exception, out of memory). */
  fatal(error: unknown): void;
  exit(exitCode: number | null, signal: string | null): void;
}

export interface PoolSlotOptions {
  /** Executor class name for messages. */
  pool: string;
  module: string;
  abortGraceMs: number;
  onExit(slot: PoolSlot): void;
}

interface ActiveRun {
  id: number;
  ctx: TaskContext;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onAbort(): void;
  grace: NodeJS.Timeout | undefined;
}

let runSeq = 0;

/**
 * One thread or process of a pool and the attempt it runs (at most one at a time):
 * forwards abort, heartbeat and progress, kills the child when an aborted handler
 * outlives the grace, and turns an unexpected exit into a {@link WorkerCrashedError}.
 */
export class PoolSlot {
  readonly child: PoolChild;
  /** Resolves when the child has started; rejects with WorkerCrashedError if it died first. */
  readonly ready: Promise<void>;
  /** Resolves when the child has exited. */
  readonly exited: Promise<void>;
  idleTimer: NodeJS.Timeout | undefined;
  readonly #options: PoolSlotOptions;
  #run: ActiveRun | undefined;
  #alive = true;
  #started = false;
  #fatal: unknown;
  #stopping: "abort" | "close" | "idle" | undefined;
  #markReady!: () => void;
  #failReady!: (error: unknown) => void;
  #markExited!: () => void;

  constructor(spawn: (events: PoolChildEvents) => PoolChild, options: PoolSlotOptions) {
    this.#options = options;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#markReady = resolve;
      this.#failReady = reject;
    });
    this.ready.catch(() => undefined);
    this.exited = new Promise<void>((resolve) => {
      this.#markExited = resolve;
    });
    this.child = spawn({
      message: (message) => this.#onMessage(message),
      fatal: (error) => {
        this.#fatal ??= error;
      },
      exit: (code, signal) => this.#onExit(code, signal),
    });
  }

  /** Alive and not being stopped: may take another attempt once the current one settles. */
  get reusable(): boolean {
    return this.#alive && this.#stopping === undefined;
  }

  get busy(): boolean {
    return this.#run !== undefined;
  }

  /** Runs one attempt; the slot must be ready and idle. */
  run(ctx: TaskContext): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (ctx.signal.aborted) {
        reject(ctx.signal.reason);
        return;
      }
      const run: ActiveRun = {
        id: ++runSeq,
        ctx,
        resolve,
        reject,
        grace: undefined,
        onAbort: () => {
          this.#post({ type: "abort", id: run.id, reason: serializeError(ctx.signal.reason) });
          run.grace = setTimeout(() => this.stop("abort"), this.#options.abortGraceMs);
        },
      };
      this.#run = run;
      this.child.setRef(true);
      ctx.signal.addEventListener("abort", run.onAbort, { once: true });
      try {
        this.child.send({
          type: "run",
          id: run.id,
          pool: this.#options.pool,
          module: this.#options.module,
          task: ctx.task,
          attempt: ctx.attempt,
          workerId: ctx.workerId,
        });
      } catch (error) {
        this.#settle(run, false, error);
      }
    });
  }

  /**
   * Ends the child. `"abort"` (an aborted handler outlived the grace) fails the attempt with
   * the signal's reason at once; `"close"` fails it with a WorkerCrashedError when it exits.
   */
  stop(reason: "abort" | "close" | "idle"): void {
    if (!this.#alive) return;
    this.#stopping ??= reason;
    clearTimeout(this.idleTimer);
    const run = this.#run;
    if (reason === "abort" && run) this.#settle(run, false, run.ctx.signal.reason);
    if (reason === "idle") this.child.shutdown();
    else this.child.kill();
  }

  #post(message: ToPoolMessage): void {
    try {
      this.child.send(message);
    } catch {
      // the child is gone; its exit event fails the attempt
    }
  }

  #settle(run: ActiveRun, ok: boolean, outcome: unknown): void {
    if (this.#run !== run) return;
    this.#run = undefined;
    clearTimeout(run.grace);
    run.ctx.signal.removeEventListener("abort", run.onAbort);
    this.child.setRef(false);
    if (ok) run.resolve(outcome);
    else run.reject(outcome);
  }

  #onMessage(message: FromPoolMessage): void {
    const run = this.#run;
    switch (message.type) {
      case "ready":
        this.#started = true;
        this.#markReady();
        return;
      case "result":
        if (run?.id === message.id) this.#settle(run, true, message.value);
        return;
      case "error":
        if (run?.id === message.id) this.#settle(run, false, rebuildError(message.error));
        return;
      case "fatal":
        this.#fatal ??= rebuildError(message.error);
        return;
      case "call":
        void this.#answer(run, message);
        return;
    }
  }

  async #answer(
    run: ActiveRun | undefined,
    message: Extract<FromPoolMessage, { type: "call" }>,
  ): Promise<void> {
    const reply: ToPoolMessage = { type: "reply", id: message.id, callId: message.callId };
    try {
      if (run?.id !== message.id) {
        throw new Error(`${this.#options.pool}: ctx.${message.method}() after the attempt ended`);
      }
      if (message.method === "heartbeat") await run.ctx.heartbeat();
      else if (message.method === "progress") await run.ctx.progress(message.value);
      else
        throw new Error(`${this.#options.pool}: unknown context method ${String(message.method)}`);
    } catch (error) {
      reply.error = serializeError(error);
    }
    this.#post(reply);
  }

  #onExit(exitCode: number | null, signal: string | null): void {
    if (!this.#alive) return;
    this.#alive = false;
    clearTimeout(this.idleTimer);
    const details = { exitCode, signal };
    const how = signal ? `killed by ${signal}` : `exited with code ${exitCode}`;
    const fatal = this.#fatal;
    const why = fatal instanceof Error ? ` after an uncaught ${fatal.name}: ${fatal.message}` : "";
    const options = fatal === undefined ? undefined : { cause: fatal };
    if (!this.#started) {
      this.#failReady(
        new WorkerCrashedError(
          `${this.#options.pool}: ${this.child.label} ${how} before it was ready${why}`,
          details,
          options,
        ),
      );
    }
    const run = this.#run;
    if (run) {
      const { name, id } = run.ctx.task;
      const message =
        this.#stopping === "close"
          ? `${this.#options.pool}: ${this.child.label} was terminated by close() while running task "${name}" (${id})`
          : `${this.#options.pool}: ${this.child.label} ${how} while running task "${name}" (${id})${why}`;
      this.#settle(run, false, new WorkerCrashedError(message, details, options));
    }
    this.#options.onExit(this);
    this.#markExited();
  }
}
