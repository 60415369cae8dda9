import { randomBytes } from "node:crypto";

/**
 * Where everything lives under the base directory (see the package README for the tree).
 * Every name that becomes part of a key (queue names, ids) was validated by core's
 * `validateId`/`validateQueueName` first, and every key is checked again by the target.
 */
export const layout = {
  queueMarker: (queue: string) => `meta/queues/${queue}`,
  queueMarkers: "meta/queues/",
  task: (id: string) => `tasks/${id}.json`,
  tasks: "tasks/",
  pendingPrefix: (queue: string) => `queues/${queue}/pending/`,
  pending: (queue: string, orderKey: string) =>
    `queues/${queue}/pending/${pendingBuckets(orderKey)}${orderKey}.json`,
  ttlPrefix: (queue: string) => `queues/${queue}/ttl/`,
  ttl: (queue: string, expiresAt: number, id: string) =>
    `queues/${queue}/ttl/${time17(expiresAt)}!${id}`,
  schedule: (id: string) => `schedules/${id}.json`,
  schedules: "schedules/",
  result: (taskId: string) => `results/${taskId}.json`,
  results: "results/",
  resultExpiry: (expiresAt: number, taskId: string) =>
    `result-expiry/${time17(expiresAt)}!${taskId}`,
  resultExpiries: "result-expiry/",
  eventByTaskPrefix: (taskId: string) => `events/task/${taskId}/`,
  eventByTask: (taskId: string, at: number, id: string) =>
    `events/task/${taskId}/${time17(at)}!${id}.json`,
  eventsByTask: "events/task/",
  eventByQueuePrefix: (queue: string, hour: string) => `events/queue/${queue}/${hour}/`,
  eventByQueue: (queue: string, at: number, id: string) =>
    `events/queue/${queue}/${hourBucket(at)}/${time17(at)}!${id}.json`,
  eventHourMarker: (queue: string, hour: string) => `events/hours/${queue}/${hour}`,
  eventHourMarkers: "events/hours/",
  corrupt: (key: string) => `corrupt/${key}`,
} as const;

const SHIFT = 8_640_000_000_000_000n;

/** A time (ms, the whole Date range) as 17 digits that sort like the times. */
export function time17(ms: number): string {
  return (BigInt(ms) + SHIFT).toString().padStart(17, "0");
}

/** Inverse of {@link time17}; `NaN` when malformed. */
export function parseTime17(s: string): number {
  if (!/^\d{17}$/.test(s)) return Number.NaN;
  return Number(BigInt(s) - SHIFT);
}

const Y10K = 253_402_300_800_000;

/** UTC hour bucket `YYYYMMDDHH`; times outside years 1970-9999 go to the first or last bucket. */
export function hourBucket(ms: number): string {
  if (ms < 0) return "0000000000";
  if (ms >= Y10K) return "9999999999";
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}`;
}

// ---- order keys ----

let lastSeqMs = 0;
let seqCounter = 0;

/**
 * A time-ordered insertion token (21 characters): 13-digit ms, a 4-character base-36
 * counter, 4 random base-36 characters. Tokens from one process are strictly increasing.
 */
export function newSeq(now = Date.now()): string {
  let ms = now;
  if (ms <= lastSeqMs) {
    ms = lastSeqMs;
    if (++seqCounter >= 36 ** 4) {
      ms++;
      seqCounter = 0;
    }
  } else {
    seqCounter = 0;
  }
  lastSeqMs = ms;
  return `${String(ms).padStart(13, "0")}${seqCounter.toString(36).padStart(4, "0")}${rand36(4)}`;
}

let randPool = randomBytes(256);
let randOff = 0;
function rand36(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    if (randOff >= randPool.length) {
      randPool = randomBytes(256);
      randOff = 0;
    }
    s += (randPool[randOff++]! % 36).toString(36);
  }
  return s;
}

const PRIORITY_OFFSET = 1_000_000;
const NO_EXPIRY = "-".repeat(17);

/** The parts of an order key. */
export interface OrderKeyParts {
  priority: number;
  runAt: number;
  seq: string;
  expiresAt: number | null;
  hasDeps: boolean;
  id: string;
}

/**
 * The name of a pending task's file: `<7 inverted priority><17 runAt><21 seq><17 expiry or
 * dashes><d|n><4 nonce>!<id>`. A prefix listing returns pending tasks in dequeue order
 * (priority desc, runAt asc, insertion asc); expiry and the has-dependencies flag let a
 * claimer skip a task without reading it. The nonce makes each incarnation's key unique.
 *
 * @example
 * ```ts
 * orderKey({ priority: 0, runAt: 0, seq: newSeq(), expiresAt: null, hasDeps: false, id: "a" });
 * // "1000000086400000000000000017..."
 * ```
 */
export function orderKey(p: OrderKeyParts): string {
  const inv = String(PRIORITY_OFFSET - p.priority).padStart(7, "0");
  const exp = p.expiresAt === null ? NO_EXPIRY : time17(p.expiresAt);
  return `${inv}${time17(p.runAt)}${p.seq}${exp}${p.hasDeps ? "d" : "n"}${rand36(4)}!${p.id}`;
}

/**
 * The two directory levels a pending file sits in, from its order key: `<priority and runAt
 * to 10 s>/<the next 2 digits: runAt to 100 ms>/` (20 and 2 characters). A listing in order
 * then reads only the first few directories however long the queue: on local disk a listing
 * reads a whole directory, and one flat `pending/` of 100,000 files cost ~100 ms per
 * listing. Both levels are prefixes of the order key, so keys still sort in dequeue order
 * on every target. Coarser than 100 ms would fill one directory with a burst of enqueues;
 * finer (10 ms was tried) made one-by-one enqueues on this machine's ext4 ~10% slower,
 * creating a directory every few tasks.
 */
export function pendingBuckets(orderKey: string): string {
  return `${orderKey.slice(0, 20)}/${orderKey.slice(20, 22)}/`;
}

const BUCKETS_LENGTH = 24;

/**
 * The order key of a pending file's key under `prefix` (`queues/<q>/pending/`), or `null`
 * when the key is not where {@link layout.pending} puts that order key.
 */
export function orderKeyOf(prefix: string, key: string): string | null {
  if (!key.startsWith(prefix) || !key.endsWith(".json")) return null;
  const rest = key.slice(prefix.length, -5);
  const slash = rest.lastIndexOf("/");
  const orderKey = rest.slice(slash + 1);
  if (slash !== BUCKETS_LENGTH - 1 || rest.slice(0, BUCKETS_LENGTH) !== pendingBuckets(orderKey)) {
    return null;
  }
  return orderKey;
}

/** The priority band of an order key (its first 7 characters). */
export const bandOf = (key: string): string => key.slice(0, 7);

/** Parses an order key; `null` when it is not one. */
export function parseOrderKey(key: string): OrderKeyParts | null {
  if (key.length < 69 || key[67] !== "!") return null;
  const inv = key.slice(0, 7);
  if (!/^\d{7}$/.test(inv)) return null;
  const runAt = parseTime17(key.slice(7, 24));
  const seq = key.slice(24, 45);
  const expRaw = key.slice(45, 62);
  const expiresAt = expRaw === NO_EXPIRY ? null : parseTime17(expRaw);
  const flag = key[62];
  if (Number.isNaN(runAt) || Number.isNaN(expiresAt) || (flag !== "d" && flag !== "n")) return null;
  return {
    priority: PRIORITY_OFFSET - Number(inv),
    runAt,
    seq,
    expiresAt,
    hasDeps: flag === "d",
    id: key.slice(68),
  };
}
