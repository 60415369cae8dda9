import {
  BaseResultStorage,
  fromJson,
  type Page,
  type PreparedResult,
  type ResultListOptions,
  type TaskResult,
  validateId,
} from "@omniq/core";
import { openShared, type SharedStore } from "./internal/open-store.js";
import { layout, parseTime17 } from "./layout.js";
import { checkTargetOptions, type FileTargetOptions } from "./target-options.js";
import type { StorageTarget } from "./targets/storage-target.js";

/** Options of {@link AsyncFileResultStorage} (and its blocking twin {@link FileResultStorage}). */
export type FileResultStorageOptions = FileTargetOptions;

const encoder = new TextEncoder();
const EMPTY = encoder.encode("{}");

function checkResult(v: unknown): TaskResult {
  const r = fromJson(v) as TaskResult;
  if (r === null || typeof r !== "object" || typeof r.taskId !== "string")
    throw new Error("not a result");
  if (r.status !== "success" && r.status !== "failed") throw new Error("unknown result status");
  if (!(r.finishedAt instanceof Date)) throw new Error("finishedAt is not a date");
  return r;
}

const live = (r: TaskResult, now: Date) => !r.expiresAt || r.expiresAt.getTime() > now.getTime();

/**
 * Task results as JSON files: `results/<taskId>.json`, one write per result. A result with
 * a TTL also gets an empty marker `result-expiry/<expiresAt>!<taskId>`, so `purgeExpired`
 * lists only what has expired instead of reading every result.
 *
 * @example
 * ```ts
 * await using results = new AsyncFileResultStorage({ url: "file:./omniq-data" });
 * await results.set({ taskId: "t1", status: "success", value: 42, attempts: 1, startedAt: null,
 *   finishedAt: new Date(), durationMs: null, workerId: null, expiresAt: null });
 * ```
 */
export class AsyncFileResultStorage extends BaseResultStorage {
  readonly #options: FileResultStorageOptions;
  #shared: SharedStore | undefined;

  constructor(options: FileResultStorageOptions) {
    super("file result storage");
    checkTargetOptions(options, "file result storage");
    this.#options = { ...options };
  }

  get target(): StorageTarget | undefined {
    return this.#shared?.handle.target;
  }

  get #t(): StorageTarget {
    return this.#shared!.handle.target;
  }

  protected async openStore(): Promise<void> {
    this.#shared = await openShared(this.#options, "file result storage");
  }

  protected async closeStore(): Promise<void> {
    await this.#shared?.release();
    this.#shared = undefined;
  }

  protected async writeResults(results: readonly PreparedResult[]): Promise<void> {
    for (const { result, json } of results) {
      await this.#t.write(layout.result(result.taskId), encoder.encode(json));
      if (result.expiresAt instanceof Date) {
        await this.#t.write(layout.resultExpiry(result.expiresAt.getTime(), result.taskId), EMPTY);
      }
    }
  }

  async #read(taskId: string): Promise<{ value: TaskResult; version: string } | null> {
    return this.#shared!.json.get(layout.result(taskId), checkResult);
  }

  protected async readResults(
    taskIds: readonly string[],
    now: Date,
  ): Promise<Array<TaskResult | null>> {
    const out: Array<TaskResult | null> = [];
    for (const id of taskIds) {
      const got = await this.#read(id);
      out.push(got && live(got.value, now) ? got.value : null);
    }
    return out;
  }

  protected deleteResult(taskId: string): Promise<boolean> {
    return this.#t.delete(layout.result(taskId));
  }

  protected async listResults(
    options: ResultListOptions & { limit: number },
    now: Date,
  ): Promise<Page<TaskResult>> {
    let startAfter: string | undefined;
    if (options.cursor !== undefined) {
      startAfter = layout.result(validateId(options.cursor, "cursor"));
    }
    const items: TaskResult[] = [];
    const cache = this.#shared!.state.parsed;
    let cursor: string | null = null;
    do {
      const page = await this.#t.list({
        prefix: layout.results,
        ...(cursor ? { cursor } : startAfter ? { startAfter } : {}),
        limit: 1000,
        versions: true,
      });
      for (const e of page.entries) {
        if (!e.key.endsWith(".json")) continue;
        let r: TaskResult | undefined;
        const hit = cache.get(e.key);
        if (hit && e.version !== undefined && hit.version === e.version)
          r = hit.value as TaskResult;
        else {
          const got = await this.#shared!.json.get(e.key, checkResult);
          if (!got) continue;
          r = got.value;
          cache.set(e.key, { version: got.version, value: r });
        }
        if (!live(r, now)) continue;
        if (options.queue !== undefined && r.queue !== options.queue) continue;
        if (options.status !== undefined && r.status !== options.status) continue;
        if (items.length === options.limit) {
          const last = items[items.length - 1]!;
          return { items: items.map((x) => structuredClone(x)), nextCursor: last.taskId };
        }
        items.push(r);
      }
      cursor = page.cursor;
    } while (cursor);
    return { items: items.map((x) => structuredClone(x)), nextCursor: null };
  }

  protected async purgeResults(now: Date): Promise<number> {
    let n = 0;
    const prefix = layout.resultExpiries;
    let cursor: string | null = null;
    scan: do {
      const page = await this.#t.list({ prefix, cursor, limit: 1000 });
      for (const e of page.entries) {
        const name = e.key.slice(prefix.length);
        const exp = parseTime17(name.slice(0, 17));
        if (Number.isNaN(exp) || name[17] !== "!") continue;
        if (exp > now.getTime()) break scan;
        const taskId = name.slice(18);
        const got = await this.#read(taskId);
        if (got && !live(got.value, now)) {
          if (await this.#t.delete(layout.result(taskId), got.version)) n++;
        }
        await this.#t.delete(e.key);
      }
      cursor = page.cursor;
    } while (cursor);
    return n;
  }
}
