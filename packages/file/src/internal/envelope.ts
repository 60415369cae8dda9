import { checkRawTask, type RawTask } from "./task-record.js";

/**
 * The content of a pending file and of a running (lease) file: a task and the version of
 * `tasks/<id>.json` it belongs to. A pending file is what a claimer needs without reading
 * the task file; a running file is the lease, valid while `base` is still that version.
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
