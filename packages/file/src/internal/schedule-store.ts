import { fromJson, type Schedule, type SchedulePatch, toJson } from "@omniq/core";
import { layout } from "../layout.js";
import { type ListEntry, listAll } from "../targets/storage-target.js";
import { type JsonStore, toBytes } from "./json-store.js";
import type { StoreState } from "./store-state.js";

type RawSchedule = Record<string, unknown> & { id: string; status: string };

const DATES = ["at", "nextRunAt", "lastRunAt", "createdAt", "updatedAt"] as const;

function toRaw(s: Schedule): RawSchedule {
  return toJson(s, "schedule", new Set()) as RawSchedule;
}

function fromRaw(raw: RawSchedule): Schedule {
  return fromJson(raw) as Schedule;
}

function checkSchedule(v: unknown): RawSchedule {
  const r = v as RawSchedule;
  if (r === null || typeof r !== "object" || typeof r.id !== "string")
    throw new Error("not a schedule");
  if (r.status !== "active" && r.status !== "paused") throw new Error("unknown schedule status");
  const s = fromRaw(r);
  for (const k of DATES) {
    const d = s[k];
    if (d !== null && !(d instanceof Date)) throw new Error(`${k} is not a date`);
  }
  return r;
}

const time = (d: Date | null | undefined) => (d ? d.getTime() : null);

/**
 * How long a listing of `schedules/` serves later reads (ms). A worker reads the schedules twice
 * per check (the due ones, then all to know when to wake): one listing serves both. Writes
 * made here drop it.
 */
const LISTING_MS = 500;
/**
 * While no active schedule it saw falls due, a listing serves for up to this long (ms): an idle
 * worker's check, once a second, then costs no request. Other processes' changes are seen
 * this much later at most: a new schedule's first tick can fire up to 10 s late, and a tick
 * of a schedule paused or removed elsewhere is never fired (the tick's compare-and-swap reads
 * the file itself).
 */
const QUIET_LISTING_MS = 10_000;

/** Schedules as `schedules/<id>.json`; updates are compare-and-swap on the file's version. */
export class ScheduleStore {
  #listing: { at: number; entries: ListEntry[]; until: number } | undefined;

  constructor(
    private readonly json: JsonStore,
    private readonly state: StoreState,
  ) {}

  async put(s: Schedule): Promise<void> {
    this.#listing = undefined;
    await this.json.target.write(layout.schedule(s.id), toBytes(toRaw(s)));
  }

  /** Every schedule file with its version (a listing is reused until its `until`). */
  async #entries(): Promise<ListEntry[]> {
    const now = Date.now();
    if (this.#listing && now < this.#listing.until) return this.#listing.entries;
    const entries = await listAll(this.json.target, layout.schedules, true);
    this.#listing = { at: now, entries, until: now + LISTING_MS };
    return entries;
  }

  async read(id: string): Promise<Schedule | null> {
    const got = await this.json.get(layout.schedule(id), checkSchedule);
    return got ? fromRaw(got.value) : null;
  }

  async list(status?: Schedule["status"]): Promise<Schedule[]> {
    const out: Schedule[] = [];
    const entries = await this.#entries();
    let firstDue = Number.POSITIVE_INFINITY;
    for (const e of entries) {
      const hit = this.state.parsed.get(e.key);
      let raw: RawSchedule | undefined;
      if (hit && e.version !== undefined && hit.version === e.version)
        raw = hit.value as RawSchedule;
      else {
        const got = await this.json.get(e.key, checkSchedule);
        if (!got) continue;
        raw = got.value;
        this.state.parsed.set(e.key, { version: got.version, value: raw });
      }
      const s = fromRaw(raw);
      if (s.status === "active" && s.nextRunAt) {
        firstDue = Math.min(firstDue, s.nextRunAt.getTime());
      }
      if (status === undefined || s.status === status) out.push(s);
    }
    // Nothing due before then: the listing may serve longer (see QUIET_LISTING_MS).
    const listing = this.#listing;
    if (listing?.entries === entries) {
      listing.until = Math.max(listing.until, Math.min(listing.at + QUIET_LISTING_MS, firstDue));
    }
    return out;
  }

  async update(
    id: string,
    patch: SchedulePatch,
    expectNextRunAt?: Date | null,
  ): Promise<Schedule | null> {
    const key = layout.schedule(id);
    for (let attempt = 0; attempt < 20; attempt++) {
      const got = await this.json.get(key, checkSchedule);
      if (!got) return null;
      const cur = fromRaw(got.value);
      // A tick is claimed only from an active schedule (one paused since it was listed as due
      // keeps its nextRunAt).
      if (
        expectNextRunAt !== undefined &&
        (cur.status !== "active" || time(cur.nextRunAt) !== time(expectNextRunAt))
      ) {
        return null;
      }
      const next: Schedule = { ...cur, ...patch };
      if (await this.json.target.writeIfVersion(key, toBytes(toRaw(next)), got.version)) {
        this.#listing = undefined;
        return next;
      }
    }
    return null;
  }

  delete(id: string): Promise<boolean> {
    this.#listing = undefined;
    return this.json.target.delete(layout.schedule(id));
  }

  async due(now: Date, limit: number): Promise<Schedule[]> {
    return (await this.list("active"))
      .filter((s) => s.nextRunAt && s.nextRunAt.getTime() <= now.getTime())
      .sort((a, b) => a.nextRunAt!.getTime() - b.nextRunAt!.getTime())
      .slice(0, limit);
  }
}
