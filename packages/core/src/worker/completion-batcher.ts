import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { TaskQueue } from "../contracts/queue-types.js";
import type { TaskResult } from "../models/result.js";
import type { Task } from "../models/task.js";
import { type Logger, silentLogger } from "../logger.js";

export interface Completion {
  id: string;
  workerId: string;
  /** Result to write; `atomic` passes it to `queue.complete` instead of `results.set`. */
  result?: TaskResult | undefined;
  atomic?: boolean;
}

interface Waiting {
  item: Completion;
  resolve: (task: Task | null) => void;
  reject: (err: unknown) => void;
}

export interface CompletionBatcherOptions {
  /** How long completions collect before one `completeMany`. `0`: the same event-loop turn. @defaultValue 1 */
  flushMs?: number;
  /** Flush at once when this many are waiting. @defaultValue 100 */
  maxBatch?: number;
  logger?: Logger;
}

/**
 * Collects successful completions for at most `flushMs` (or `maxBatch` of them) and writes
 * them with one `queue.completeMany`, then the results of those the worker still owned with
 * one `results.setMany`. A result is written only after its task was completed, so a worker
 * that lost its lease never overwrites the new owner's result.
 */
export class CompletionBatcher {
  readonly #queue: TaskQueue;
  readonly #results: ResultStorage | undefined;
  readonly #flushMs: number;
  readonly #maxBatch: number;
  readonly #logger: Logger;
  #buffer: Waiting[] = [];
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  readonly #writes = new Set<Promise<void>>();

  constructor(
    queue: TaskQueue,
    results: ResultStorage | undefined,
    options: CompletionBatcherOptions = {},
  ) {
    this.#queue = queue;
    this.#results = results;
    this.#flushMs = options.flushMs ?? 1;
    this.#maxBatch = options.maxBatch ?? 100;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Completions waiting or being written. */
  get pending(): number {
    return this.#buffer.length + this.#writes.size;
  }

  /** Resolves with the completed task, or `null` when the worker no longer held the lease. */
  complete(item: Completion): Promise<Task | null> {
    return new Promise((resolve, reject) => {
      this.#buffer.push({ item, resolve, reject });
      if (this.#buffer.length >= this.#maxBatch) this.#startFlush();
      else if (!this.#timer) {
        this.#timer =
          this.#flushMs <= 0
            ? setImmediate(() => this.#startFlush())
            : setTimeout(() => this.#startFlush(), this.#flushMs);
      }
    });
  }

  /** Writes what is waiting and resolves when every write so far has finished. */
  async flush(): Promise<void> {
    this.#startFlush();
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes]);
  }

  #startFlush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = undefined;
    }
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    const write = this.#write(batch).finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }

  async #write(batch: Waiting[]): Promise<void> {
    let tasks: Array<Task | null>;
    try {
      tasks = await this.#queue.completeMany(
        batch.map(({ item }) => ({
          id: item.id,
          workerId: item.workerId,
          ...(item.atomic && item.result ? { result: item.result } : {}),
        })),
      );
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    const separate: TaskResult[] = [];
    batch.forEach((w, i) => {
      if (tasks[i] && w.item.result && !w.item.atomic) separate.push(w.item.result);
    });
    if (separate.length > 0 && this.#results) {
      try {
        await this.#results.setMany(separate);
      } catch (err) {
        this.#logger.error(
          { err, taskIds: separate.map((r) => r.taskId) },
          "omniq: tasks completed but their results could not be stored",
        );
      }
    }
    for (const [i, w] of batch.entries()) w.resolve(tasks[i] ?? null);
  }
}
