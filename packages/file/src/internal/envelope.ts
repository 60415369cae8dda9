import { checkRawTask, type RawTask } from "./task-record.js";

/**
 * The content of a file in `queues/<q>/pending/`: a task and the version of `tasks/<id>.json`
 * it belongs to. While the task in it is pending, it is what a claimer needs without reading
 * the record; once claimed (swapped to the running task) it is the lease, valid while `base`
 * is still the record's version.
 */
export interface Envelope {
  base: string;
  task: RawTask;
}

export function checkEnvelope(v: unknown): Envelope {
  const e = v as Envelope;
  if (e === null || typeof e !== "object" || typeof e.base !== "string") {
    throw new Error("not a {base, task} envelope");
  }
  checkRawTask(e.task);
  return e;
}
