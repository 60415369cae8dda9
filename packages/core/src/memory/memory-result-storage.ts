import { decode } from "../codec.js";
import {
  BaseResultStorage,
  type PreparedResult,
  type ResultListOptions,
} from "../contracts/base-result-storage.js";
import type { Page } from "../contracts/common.js";
import type { TaskResult } from "../models/result.js";
import { parseSeqCursor } from "./seq-cursor.js";

interface Entry {
  seq: number;
  result: TaskResult;
}

const live = (r: TaskResult, now: Date): boolean =>
  r.expiresAt === null || r.expiresAt === undefined || r.expiresAt.getTime() > now.getTime();

/**
 * Task results held in this process's memory: the reference implementation of the
 * result-storage contract. Expired results read as absent until `purgeExpired` drops them.
 *
 * @example
 * ```ts
 * await using results = new AsyncMemoryResultStorage();
 * await results.set({ taskId: "t1", status: "success", value: 42, attempts: 1,
 *   startedAt: null, finishedAt: new Date(), durationMs: null, workerId: null, expiresAt: null });
 * (await results.get("t1"))?.value; // 42
 * ```
 */
export class AsyncMemoryResultStorage extends BaseResultStorage {
  #seq = 0;
  readonly #results = new Map<string, Entry>();

  constructor() {
    super("memory result storage");
  }

  protected async openStore(): Promise<void> {}

  protected async closeStore(): Promise<void> {
    this.#results.clear();
  }

  protected async writeResults(results: readonly PreparedResult[]): Promise<void> {
    for (const { json } of results) {
      // Stored as decoded JSON, so values round-trip exactly as in a persistent store.
      const result = decode<TaskResult>(json);
      const existing = this.#results.get(result.taskId);
      if (existing) existing.result = result;
      else this.#results.set(result.taskId, { seq: ++this.#seq, result });
    }
  }

  protected async readResults(
    taskIds: readonly string[],
    now: Date,
  ): Promise<Array<TaskResult | null>> {
    return taskIds.map((id) => {
      const entry = this.#results.get(id);
      return entry && live(entry.result, now) ? structuredClone(entry.result) : null;
    });
  }

  protected async deleteResult(taskId: string): Promise<boolean> {
    return this.#results.delete(taskId);
  }

  protected async listResults(
    options: ResultListOptions & { limit: number },
    now: Date,
  ): Promise<Page<TaskResult>> {
    const after = options.cursor === undefined ? 0 : parseSeqCursor(options.cursor);
    const items: TaskResult[] = [];
    let lastSeq = 0;
    for (const { seq, result } of this.#results.values()) {
      if (seq <= after || !live(result, now)) continue;
      if (options.queue !== undefined && result.queue !== options.queue) continue;
      if (options.status !== undefined && result.status !== options.status) continue;
      if (items.length === options.limit) return { items, nextCursor: String(lastSeq) };
      items.push(structuredClone(result));
      lastSeq = seq;
    }
    return { items, nextCursor: null };
  }

  protected async purgeResults(now: Date): Promise<number> {
    let n = 0;
    for (const [id, { result }] of this.#results) {
      if (!live(result, now)) {
        this.#results.delete(id);
        n++;
      }
    }
    return n;
  }
}
