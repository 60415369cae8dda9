import { decode } from "../codec.js";
import { BaseEventStorage, type PreparedEvent } from "../contracts/base-event-storage.js";
import type { Page } from "../contracts/common.js";
import { ValidationError } from "../errors.js";
import type { EventQuery, TaskEvent } from "../models/event.js";

/** Sort key of an event: `at`, then `id`. */
function compare(a: TaskEvent, b: TaskEvent): number {
  return a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function encodeCursor(e: TaskEvent): string {
  return `${e.at.getTime()}:${e.id}`;
}

function decodeCursor(cursor: string): Pick<TaskEvent, "at" | "id"> {
  const m = /^(-?\d{1,16}):(.+)$/.exec(cursor);
  if (!m) throw new ValidationError("cursor", "cursor: not a cursor this storage returned");
  return { at: new Date(Number(m[1])), id: m[2]! };
}

/**
 * A task-event log held in this process's memory: the reference implementation of the
 * event-storage contract. Events are kept sorted by `at`, then `id`.
 *
 * @example
 * ```ts
 * await using events = new AsyncMemoryEventStorage();
 * await events.append({ taskId: "t1", type: "enqueued", queue: "default" });
 * const { items } = await events.query({ taskId: "t1" });
 * ```
 */
export class AsyncMemoryEventStorage extends BaseEventStorage {
  #events: TaskEvent[] = [];

  constructor() {
    super("memory event storage");
  }

  protected async openStore(): Promise<void> {}

  protected async closeStore(): Promise<void> {
    this.#events = [];
  }

  protected async writeEvents(events: readonly PreparedEvent[]): Promise<void> {
    for (const { event, dataJson } of events) {
      const stored: TaskEvent = {
        ...structuredClone({ ...event, data: null }),
        data: dataJson === null ? null : decode<Record<string, unknown>>(dataJson),
      };
      // Binary search for the first element after `stored`: appends in order stay O(log n).
      let lo = 0;
      let hi = this.#events.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compare(this.#events[mid]!, stored) <= 0) lo = mid + 1;
        else hi = mid;
      }
      this.#events.splice(lo, 0, stored);
    }
  }

  protected async queryEvents(
    query: EventQuery & { limit: number; order: "asc" | "desc" },
  ): Promise<Page<TaskEvent>> {
    const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const sign = query.order === "asc" ? 1 : -1;
    const since = query.since?.getTime();
    const until = query.until?.getTime();
    const types = query.types && query.types.length > 0 ? new Set(query.types) : null;
    const n = this.#events.length;
    const items: TaskEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e = this.#events[sign === 1 ? i : n - 1 - i]!;
      const at = e.at.getTime();
      if (cursor && sign * compare(e, cursor as TaskEvent) <= 0) continue;
      if (since !== undefined && at < since) continue;
      if (until !== undefined && at >= until) continue;
      if (query.taskId !== undefined && e.taskId !== query.taskId) continue;
      if (query.queue !== undefined && e.queue !== query.queue) continue;
      if (types && !types.has(e.type)) continue;
      if (items.length === query.limit) {
        return { items, nextCursor: encodeCursor(items.at(-1)!) };
      }
      items.push(structuredClone(e));
    }
    return { items, nextCursor: null };
  }

  protected async purgeEvents(before: Date): Promise<number> {
    const keep = this.#events.filter((e) => e.at.getTime() >= before.getTime());
    const n = this.#events.length - keep.length;
    this.#events = keep;
    return n;
  }
}
