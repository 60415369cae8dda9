import {
  BaseEventStorage,
  type EventQuery,
  fromJson,
  type Page,
  type PreparedEvent,
  type TaskEvent,
  ValidationError,
} from "@omniq/core";
import { openShared, type SharedStore } from "./internal/open-store.js";
import { toBytes } from "./internal/json-store.js";
import { hourBucket, layout, parseTime17, time17 } from "./layout.js";
import { checkTargetOptions, type FileTargetOptions } from "./target-options.js";
import { type ListEntry, listAll, type StorageTarget } from "./targets/storage-target.js";

/** Options of {@link AsyncFileEventStorage} (and its blocking twin {@link FileEventStorage}). */
export type FileEventStorageOptions = FileTargetOptions;

interface RawEvent {
  id: string;
  taskId: string;
  type: TaskEvent["type"];
  at: string;
  queue: string;
  workerId: string | null;
  attempt: number | null;
  data: unknown;
}

function checkEvent(v: unknown): TaskEvent {
  const r = v as RawEvent;
  if (
    r === null ||
    typeof r !== "object" ||
    typeof r.id !== "string" ||
    typeof r.taskId !== "string"
  ) {
    throw new Error("not an event");
  }
  const at = new Date(r.at);
  if (Number.isNaN(at.getTime()) || typeof r.queue !== "string" || typeof r.type !== "string") {
    throw new Error("event fields invalid");
  }
  return {
    id: r.id,
    taskId: r.taskId,
    type: r.type,
    at,
    queue: r.queue,
    workerId: r.workerId ?? null,
    attempt: r.attempt ?? null,
    data:
      r.data === null || r.data === undefined
        ? null
        : (fromJson(r.data) as Record<string, unknown>),
  };
}

/** `<17-digit at>!<event id>`: sorts like (at, id); also the cursor format. */
const CURSOR = /^(\d{17})!([A-Za-z0-9_][A-Za-z0-9_.-]*)$/;

interface Located {
  /** `<at17>!<id>` */
  sortKey: string;
  key: string;
}

const sortKeyOf = (key: string) => key.slice(key.lastIndexOf("/") + 1, -".json".length);

/**
 * Task events as JSON files, each written twice so that every query reads only what it
 * needs: `events/task/<taskId>/<at>!<id>.json` (query by task) and
 * `events/queue/<queue>/<YYYYMMDDHH>/<at>!<id>.json` (query by queue and time window, an
 * hour directory at a time), plus an empty marker `events/hours/<queue>/<YYYYMMDDHH>` per
 * hour with events, so a query lists only the hours that exist.
 *
 * @example
 * ```ts
 * await using events = new AsyncFileEventStorage({ baseDir: "./omniq-data" });
 * await events.append({ taskId: "t1", type: "enqueued", queue: "default" });
 * const page = await events.query({ queue: "default", since: new Date(Date.now() - 3_600_000) });
 * ```
 */
export class AsyncFileEventStorage extends BaseEventStorage {
  readonly #options: FileEventStorageOptions;
  #shared: SharedStore | undefined;

  constructor(options: FileEventStorageOptions) {
    super("file event storage");
    checkTargetOptions(options, "file event storage");
    this.#options = { ...options };
  }

  get target(): StorageTarget | undefined {
    return this.#shared?.handle.target;
  }

  get #t(): StorageTarget {
    return this.#shared!.handle.target;
  }

  protected async openStore(): Promise<void> {
    this.#shared = await openShared(this.#options, "file event storage");
  }

  protected async closeStore(): Promise<void> {
    await this.#shared?.release();
    this.#shared = undefined;
  }

  protected async writeEvents(events: readonly PreparedEvent[]): Promise<void> {
    const hours = this.#shared!.state.hours;
    for (const { event, dataJson } of events) {
      const at = event.at.getTime();
      const hour = hourBucket(at);
      const marker = `${event.queue}/${hour}`;
      if (!hours.has(marker)) {
        await this.#t.writeIfAbsent(layout.eventHourMarker(event.queue, hour), toBytes({}));
        hours.add(marker);
      }
      const raw: RawEvent = {
        id: event.id,
        taskId: event.taskId,
        type: event.type,
        at: event.at.toISOString(),
        queue: event.queue,
        workerId: event.workerId,
        attempt: event.attempt,
        data: dataJson === null ? null : JSON.parse(dataJson),
      };
      const bytes = toBytes(raw);
      await this.#t.write(layout.eventByTask(event.taskId, at, event.id), bytes);
      await this.#t.write(layout.eventByQueue(event.queue, at, event.id), bytes);
    }
  }

  #listAll(prefix: string): Promise<ListEntry[]> {
    return listAll(this.#t, prefix);
  }

  /** Hour buckets with events: queue → sorted hours. */
  async #hours(): Promise<Map<string, string[]>> {
    const byQueue = new Map<string, string[]>();
    for (const e of await this.#listAll(layout.eventHourMarkers)) {
      const [queue, hour] = e.key.slice(layout.eventHourMarkers.length).split("/");
      if (!queue || !hour) continue;
      const list = byQueue.get(queue) ?? [];
      list.push(hour);
      byQueue.set(queue, list);
    }
    return byQueue;
  }

  protected async queryEvents(
    query: EventQuery & { limit: number; order: "asc" | "desc" },
  ): Promise<Page<TaskEvent>> {
    let cursor: string | null = null;
    if (query.cursor !== undefined) {
      if (!CURSOR.test(query.cursor)) {
        throw new ValidationError("cursor", "cursor: not a cursor this storage returned");
      }
      cursor = query.cursor;
    }
    const asc = query.order === "asc";
    const lo = query.since ? time17(query.since.getTime()) : null;
    const hi = query.until ? time17(query.until.getTime()) : null;
    const inWindow = (sk: string) => {
      const at = sk.slice(0, 17);
      if (lo !== null && at < lo) return false;
      if (hi !== null && at >= hi) return false;
      if (cursor !== null && (asc ? sk <= cursor : sk >= cursor)) return false;
      return true;
    };
    const types = query.types && query.types.length > 0 ? new Set<string>(query.types) : null;
    const items: TaskEvent[] = [];
    let more = false;
    /** Reads candidates in order; returns true once the page is full (one extra found). */
    const take = async (located: Located[]): Promise<boolean> => {
      located.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
      if (!asc) located.reverse();
      for (const l of located) {
        const got = await this.#shared!.json.get(l.key, checkEvent);
        if (!got) continue;
        const e = got.value;
        if (query.queue !== undefined && e.queue !== query.queue) continue;
        if (query.taskId !== undefined && e.taskId !== query.taskId) continue;
        if (types && !types.has(e.type)) continue;
        if (items.length === query.limit) {
          more = true;
          return true;
        }
        items.push(e);
      }
      return false;
    };

    if (query.taskId !== undefined) {
      const located = (await this.#listAll(layout.eventByTaskPrefix(query.taskId)))
        .map((e) => ({ key: e.key, sortKey: sortKeyOf(e.key) }))
        .filter((l) => inWindow(l.sortKey));
      await take(located);
    } else {
      const byQueue = await this.#hours();
      const queues = query.queue !== undefined ? [query.queue] : [...byQueue.keys()];
      const hourLo = query.since ? hourBucket(query.since.getTime()) : null;
      const hourHi = query.until ? hourBucket(query.until.getTime()) : null;
      const cursorHour = cursor ? hourBucket(parseTime17(cursor.slice(0, 17))) : null;
      const perHour = new Map<string, string[]>();
      for (const q of queues) {
        for (const h of byQueue.get(q) ?? []) {
          if (hourLo !== null && h < hourLo) continue;
          if (hourHi !== null && h > hourHi) continue;
          if (cursorHour !== null && (asc ? h < cursorHour : h > cursorHour)) continue;
          const qs = perHour.get(h) ?? [];
          qs.push(q);
          perHour.set(h, qs);
        }
      }
      const hours = [...perHour.keys()].sort();
      if (!asc) hours.reverse();
      for (const h of hours) {
        const located: Located[] = [];
        for (const q of perHour.get(h)!) {
          for (const e of await this.#listAll(layout.eventByQueuePrefix(q, h))) {
            const sk = sortKeyOf(e.key);
            if (inWindow(sk)) located.push({ key: e.key, sortKey: sk });
          }
        }
        if (await take(located)) break;
      }
    }
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: more && last ? `${time17(last.at.getTime())}!${last.id}` : null,
    };
  }

  protected async purgeEvents(before: Date): Promise<number> {
    const limit = time17(before.getTime());
    const lastHour = hourBucket(before.getTime());
    let n = 0;
    const hours = this.#shared!.state.hours;
    for (const [queue, list] of await this.#hours()) {
      for (const h of list) {
        if (h > lastHour) continue;
        const entries = await this.#listAll(layout.eventByQueuePrefix(queue, h));
        let left = 0;
        for (const e of entries) {
          if (sortKeyOf(e.key).slice(0, 17) < limit) {
            if (await this.#t.delete(e.key)) n++;
          } else left++;
        }
        // The current hour may still receive events: keep its marker.
        if (left === 0 && h < lastHour) {
          await this.#t.delete(layout.eventHourMarker(queue, h));
          hours.delete(`${queue}/${h}`);
        }
      }
    }
    for (const e of await this.#listAll(layout.eventsByTask)) {
      if (sortKeyOf(e.key).slice(0, 17) < limit) await this.#t.delete(e.key);
    }
    return n;
  }
}
