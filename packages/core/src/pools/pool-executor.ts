import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ClosedError, ConfigError } from "../errors.js";
import type { TaskContext, TaskExecutor } from "../worker/task-executor.js";
import { FifoSemaphore } from "./fifo-semaphore.js";
import { type PoolChild, type PoolChildEvents, PoolSlot } from "./pool-slot.js";

/** Options shared by {@link ThreadPoolExecutor} and {@link ProcessPoolExecutor}. */
export interface PoolExecutorOptions {
  /**
   * The ES module exporting the handlers: a file path (relative paths resolve against
   * `process.cwd()`) or a `file:` URL (`new URL("./handlers.js", import.meta.url)`).
   * Handlers are named exports whose names are task names, or properties of a default
   * export object; a named export wins when both exist.
   */
  module: string | URL;
  /** Threads or processes, i.e. attempts running at once. @defaultValue `os.availableParallelism()` */
  size?: number;
  /**
   * How long a handler may keep running after its signal aborted before its thread or process
   * is killed and replaced (the attempt then fails with the signal's reason). @defaultValue 5000
   */
  abortGraceMs?: number;
  /** How long `close()` waits for running attempts before killing them. @defaultValue 5000 */
  closeGraceMs?: number;
  /** Ends a thread or process idle this long (started again on demand); `0` keeps them. @defaultValue 0 */
  idleTimeoutMs?: number;
}

/** A snapshot of a pool. */
export interface PoolStats {
  size: number;
  /** Threads or processes alive (started lazily, up to `size`). */
  alive: number;
  /** Attempts running. */
  busy: number;
  /** `execute()` calls waiting for a free slot. */
  queued: number;
}

export const POOL_DEFAULTS = {
  abortGraceMs: 5000,
  closeGraceMs: 5000,
  idleTimeoutMs: 0,
} as const satisfies Partial<PoolExecutorOptions>;

function toModuleUrl(pool: string, module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== "string" || module === "") {
    throw new ConfigError("module", `${pool}: module must be a file path or file URL string`);
  }
  if (/^(file|data):/i.test(module)) return new URL(module).href;
  return pathToFileURL(resolve(module)).href;
}

function checkCount(pool: string, key: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(key, `${pool}: ${key} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/**
 * Shared machinery of the thread and process pools: a FIFO of `execute()` calls limited to
 * `size` at once, children started lazily and reused, replaced after a crash or kill.
 */
export abstract class PoolExecutor implements TaskExecutor {
  readonly #name: string;
  readonly #module: string;
  readonly #size: number;
  readonly #abortGraceMs: number;
  readonly #closeGraceMs: number;
  readonly #idleTimeoutMs: number;
  readonly #permits: FifoSemaphore;
  readonly #slots = new Set<PoolSlot>();
  readonly #idle: PoolSlot[] = [];
  #closing: Promise<void> | undefined;

  protected constructor(name: string, options: PoolExecutorOptions) {
    this.#name = name;
    if (options === null || typeof options !== "object") {
      throw new ConfigError("module", `${name}: options with a module are required`);
    }
    this.#module = toModuleUrl(name, options.module);
    this.#size = checkCount(name, "size", options.size ?? availableParallelism(), 1);
    const { abortGraceMs, closeGraceMs, idleTimeoutMs } = { ...POOL_DEFAULTS, ...options };
    this.#abortGraceMs = checkCount(name, "abortGraceMs", abortGraceMs, 0);
    this.#closeGraceMs = checkCount(name, "closeGraceMs", closeGraceMs, 0);
    this.#idleTimeoutMs = checkCount(name, "idleTimeoutMs", idleTimeoutMs, 0);
    this.#permits = new FifoSemaphore(this.#size);
  }

  /** Starts one thread or process and wires its events. */
  protected abstract spawn(events: PoolChildEvents): PoolChild;

  /** The handler module's URL. */
  get module(): string {
    return this.#module;
  }

  get stats(): PoolStats {
    let busy = 0;
    for (const slot of this.#slots) if (slot.busy) busy++;
    return { size: this.#size, alive: this.#slots.size, busy, queued: this.#permits.waiting };
  }

  /**
   * Runs one attempt in a thread or process: waits (FIFO) for a free slot, then calls the
   * handler for `ctx.task.name` with the task's args and a context. Rejects with the handler's
   * error (class and `code` kept), {@link WorkerCrashedError} when the child died, the signal's
   * reason when the signal aborted while waiting or the handler ignored it past `abortGraceMs`,
   * and `ClosedError` after `close()`.
   */
  async execute(ctx: TaskContext): Promise<unknown> {
    this.#assertOpen();
    await this.#permits.acquire(ctx.signal);
    let slot: PoolSlot | undefined;
    try {
      this.#assertOpen();
      slot = this.#idle.pop();
      if (slot) clearTimeout(slot.idleTimer);
      else {
        slot = this.#start();
        await slot.ready;
        this.#assertOpen();
      }
      return await slot.run(ctx);
    } finally {
      this.#recycle(slot);
    }
  }

  /**
   * Stops taking work (waiting calls reject with `ClosedError`), waits up to `closeGraceMs` for
   * running attempts, kills what is left (those attempts fail with WorkerCrashedError) and
   * resolves once every thread or process has exited.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutdown(): Promise<void> {
    this.#permits.rejectAll(new ClosedError(`${this.#name}: closed while waiting for a slot`));
    for (const slot of this.#idle.splice(0)) slot.stop("idle");
    const slots = [...this.#slots];
    const exited = Promise.all(slots.map((slot) => slot.exited));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((done) => {
      timer = setTimeout(done, this.#closeGraceMs);
    });
    await Promise.race([exited, graceOver]);
    clearTimeout(timer);
    for (const slot of slots) slot.stop("close");
    await exited;
  }

  #assertOpen(): void {
    if (this.#closing) throw new ClosedError(`${this.#name}: used after close()`);
  }

  #start(): PoolSlot {
    const slot = new PoolSlot((events) => this.spawn(events), {
      pool: this.#name,
      module: this.#module,
      abortGraceMs: this.#abortGraceMs,
      onExit: (dead) => {
        this.#slots.delete(dead);
        const index = this.#idle.indexOf(dead);
        if (index >= 0) this.#idle.splice(index, 1);
      },
    });
    this.#slots.add(slot);
    return slot;
  }

  /** After an attempt: keep the child for the next one, or wait for it to die before freeing the slot. */
  #recycle(slot: PoolSlot | undefined): void {
    if (slot?.reusable && this.#closing) {
      slot.stop("idle");
    } else if (slot?.reusable) {
      this.#idle.push(slot);
      if (this.#idleTimeoutMs > 0) {
        slot.idleTimer = setTimeout(() => slot.stop("idle"), this.#idleTimeoutMs);
        slot.idleTimer.unref();
      }
    } else if (slot) {
      void slot.exited.then(() => this.#permits.release());
      return;
    }
    this.#permits.release();
  }
}
