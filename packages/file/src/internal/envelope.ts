import type { Versioned } from "./json-store.js";
import { checkRawTask, type RawTask } from "./task-record.js";

/**
 * The content of a file in `queues/<q>/pending/`: a task and the version of `tasks/<id>.json`
 * it belongs to. While the task in it is pending, it is what a claimer needs without reading
 * the record; once claimed (swapped to the running task) it is the lease, valid while `base`
 * is still the record's version.
 *
 * On a target with hard links (local disk) a new pending file is instead a second name of
 * the record file itself: the record as it was enqueued, whose version is the record's
 * version. {@link checkEnvelope} reads that as `base: ""` and {@link envelopeOf} fills in
 * the file's own version.
 */
export interface Envelope {
  base: string;
  task: RawTask;
}

/**
 * `base` of a file that takes the name of a missing pending file during a roll-forward
 * (`TaskStore.rollForward`): never a version on any target (none starts with `~`), and its
 * task is never pending, so nobody claims it and readers take it as stale.
 */
export const BLOCKED = "~blocked";

/** `base` of a pending file that is the record itself (see {@link envelopeOf}). */
const SELF = "";

export function checkEnvelope(v: unknown): Envelope {
  const e = v as Envelope;
  if (e === null || typeof e !== "object") throw new Error("not a {base, task} envelope");
  if (typeof e.base === "string" && e.base !== SELF) {
    checkRawTask(e.task);
    return e;
  }
  if ("base" in e) throw new Error("not a {base, task} envelope");
  // The record itself (a hard link): only a pending task is ever published that way.
  const raw = checkRawTask(v);
  if (raw.status !== "pending") throw new Error("not a {base, task} envelope");
  return { base: SELF, task: raw };
}

/** The envelope of a pending file as read; a record read as one has its own version as base. */
export function envelopeOf(got: Versioned<Envelope>): Envelope {
  const env = got.value;
  return env.base === SELF ? { base: got.version, task: env.task } : env;
}

/**
 * A pending or lease file, `{base, task}` (an {@link Envelope}), around the task's JSON
 * (encoded once: the same text is often the record's too).
 */
export const envelopeText = (base: string, taskJson: string): string =>
  `{"base":${JSON.stringify(base)},"task":${taskJson}}`;
