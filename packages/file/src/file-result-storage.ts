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
import { toBytes } from "./internal/json-store.js";
import { checkRawTask, type RawTask } from "./internal/task-record.js";
import { checkTargetOptions, type FileTargetOptions, locationOf } from "./target-options.js";
import type { ListEntry, StorageTarget } from "./targets/storage-target.js";

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

interface Found<T = TaskResult> {
  value: T;
  version: string;
}

const FINAL = new Set<string>(["success", "failed", "cancelled", "expired"]);

/** The result a queue wrote into a task record (`complete()` with a result), if valid. */
function embeddedOf(raw: RawTask, version: string): Found | null {
  if (raw.result === undefined) return null;
  try {
    return { value: checkResult(raw.result), version };
  } catch {
    return null;
  }
}

/** The newer of two results by `finishedAt`; the file wins a tie (an explicit `set`). */
function newer(file: Found | null, embedded: Found | null): Found | null {
  if (!embedded) return file;
  if (!file) return embedded;
  return embedded.value.finishedAt.getTime() > file.value.finishedAt.getTime() ? embedded : file;
}

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

  /** Where it stores (see `locationOf`): how a file queue tells that it shares this store. */
  get location(): StorageTarget | string | null {
    return locationOf(this.#options);
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

  /** The file's result and the one embedded in the task record (either may be absent). */
  async #both(taskId: string): Promise<{ file: Found | null; embedded: Found | null }> {
    const json = this.#shared!.json;
    const [file, rec] = await Promise.all([
      json.get(layout.result(taskId), checkResult),
      json.get(layout.task(taskId), checkRawTask),
    ]);
    return { file, embedded: rec ? embeddedOf(rec.value, rec.version) : null };
  }

  /** The current result: the newer of the file and the embedded one (the file on a tie). */
  async #read(taskId: string): Promise<TaskResult | null> {
    const { file, embedded } = await this.#both(taskId);
    return newer(file, embedded)?.value ?? null;
  }

  protected async readResults(
    taskIds: readonly string[],
    now: Date,
  ): Promise<Array<TaskResult | null>> {
    return Promise.all(
      taskIds.map(async (id) => {
        const r = await this.#read(id);
        return r && live(r, now) ? r : null;
      }),
    );
  }

  protected async deleteResult(taskId: string): Promise<boolean> {
    const fromFile = await this.#t.delete(layout.result(taskId));
    const fromRecord = await this.#strip(taskId);
    return fromFile || fromRecord;
  }

  /**
   * Removes the result embedded in a finished task's record (a swap on its version). A record
   * that is not final is left alone: its version anchors the task's pending or running files.
   */
  async #strip(taskId: string, onlyIfExpiredAt?: Date): Promise<boolean> {
    const json = this.#shared!.json;
    for (let attempt = 0; attempt < 5; attempt++) {
      const rec = await json.get(layout.task(taskId), checkRawTask);
      if (!rec || rec.value.result === undefined || !FINAL.has(rec.value.status)) return false;
      if (onlyIfExpiredAt) {
        const e = embeddedOf(rec.value, rec.version);
        if (e && live(e.value, onlyIfExpiredAt)) return false;
      }
      const { result: _r, ...rest } = rec.value;
      const v = await this.#t.writeIfVersion(layout.task(taskId), toBytes(rest), rec.version);
      if (v !== null) return true;
    }
    return false;
  }

  protected async listResults(
    options: ResultListOptions & { limit: number },
    now: Date,
  ): Promise<Page<TaskResult>> {
    const after = options.cursor !== undefined ? validateId(options.cursor, "cursor") : undefined;
    // Results live in result files and inside finished task records: merge both by task id.
    const ids = new Map<string, { file?: ListEntry; record?: ListEntry }>();
    for (const [prefix, which] of [
      [layout.results, "file"],
      [layout.tasks, "record"],
    ] as const) {
      const startAfter = after === undefined ? undefined : `${prefix}${after}.json`;
      let cursor: string | null = null;
      do {
        const page = await this.#t.list({
          prefix,
          ...(cursor ? { cursor } : startAfter ? { startAfter } : {}),
          limit: 1000,
          versions: true,
        });
        for (const e of page.entries) {
          if (!e.key.endsWith(".json")) continue;
          const id = e.key.slice(prefix.length, -5);
          if (id.includes("/")) continue;
          const slot = ids.get(id) ?? {};
          slot[which] = e;
          ids.set(id, slot);
        }
        cursor = page.cursor;
      } while (cursor);
    }
    const items: TaskResult[] = [];
    for (const id of [...ids.keys()].sort()) {
      const slot = ids.get(id)!;
      const file = slot.file ? await this.#cached(slot.file, checkResult) : null;
      const rec = slot.record ? await this.#cached(slot.record, checkRawTask) : null;
      const r = newer(file, rec ? embeddedOf(rec.value, rec.version) : null)?.value;
      if (!r || !live(r, now)) continue;
      if (options.queue !== undefined && r.queue !== options.queue) continue;
      if (options.status !== undefined && r.status !== options.status) continue;
      if (items.length === options.limit) {
        const last = items[items.length - 1]!;
        return { items: items.map((x) => structuredClone(x)), nextCursor: last.taskId };
      }
      items.push(r);
    }
    return { items: items.map((x) => structuredClone(x)), nextCursor: null };
  }

  /** Reads a listed file through the parsed-file cache (valid while its version matches). */
  async #cached<T>(e: ListEntry, check: (v: unknown) => T): Promise<Found<T> | null> {
    const cache = this.#shared!.state.parsed;
    const hit = cache.get(e.key);
    if (hit && e.version !== undefined && hit.version === e.version) {
      return { value: hit.value as T, version: hit.version };
    }
    const got = await this.#shared!.json.get(e.key, check);
    if (got) cache.set(e.key, { version: got.version, value: got.value });
    return got;
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
        const { file } = await this.#both(taskId);
        let removed = false;
        if (file && !live(file.value, now)) {
          removed = await this.#t.delete(layout.result(taskId), file.version);
        }
        if (await this.#strip(taskId, now)) removed = true;
        if (removed) n++;
        await this.#t.delete(e.key);
      }
      cursor = page.cursor;
    } while (cursor);
    return n;
  }
}
