/**
 * Worker processes for the chaos and stall tests: `fixtures/chaos-worker.mjs` (the full
 * runtime on a file backend, built package), and the logs it writes.
 */
import { type ChildProcess, fork } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TaskQueue } from "@omniq/core";

const entry = new URL("./fixtures/chaos-worker.mjs", import.meta.url);

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** It sent "ready": its worker is claiming. */
  ready: boolean;
  exited: Promise<unknown>;
}

/** Starts one worker process; `config` as the fixture's header describes it. */
export function startWorker(config: object): Proc {
  const child = fork(entry, [JSON.stringify(config)], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const proc: Proc = { child, pid: child.pid!, ready: false, exited };
  child.once("message", () => {
    proc.ready = true;
  });
  return proc;
}

/** One logged event of a task: which process, when (epoch ms), and the task's attempt number. */
export interface LogEntry {
  pid: number;
  at: number;
  /** `task.attempts` as the worker saw it (each claim adds one): tells incarnations apart. */
  attempt?: number;
}

/**
 * `<taskId> <pid> <epoch ms> [<attempt>]` lines of the files ending in `suffix` in `logDir`,
 * by task: `.log` has the handlers' starts, `.claims` and `.givebacks` the worker's claims and
 * the claimed-ahead tasks it gave back because their lease ran out before they could start.
 */
export function readStarts(logDir: string, suffix = ".log"): Map<string, LogEntry[]> {
  const out = new Map<string, LogEntry[]>();
  for (const f of readdirSync(logDir).filter((n) => n.endsWith(suffix))) {
    for (const line of readFileSync(join(logDir, f), "utf8").split("\n")) {
      const m = /^(\S+) (\d+) ([\d.]+)(?: (\d+))?$/.exec(line);
      if (!m) continue; // a line cut short by SIGKILL
      const list = out.get(m[1]!) ?? [];
      list.push({
        pid: Number(m[2]),
        at: Number(m[3]),
        ...(m[4] === undefined ? {} : { attempt: Number(m[4]) }),
      });
      out.set(m[1]!, list);
    }
  }
  return out;
}

/**
 * Enqueues `n` tasks named `name` with ids `<idPrefix>-00000`, `-00001`, ... (in batches of
 * 500, each with retries to spare: a killed or stalled worker uses an attempt); returns the ids.
 */
export async function enqueueNumbered(
  queue: TaskQueue,
  idPrefix: string,
  n: number,
  name: string,
): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${idPrefix}-${String(i).padStart(5, "0")}`);
  for (let i = 0; i < n; i += 500) {
    await queue.enqueueMany(ids.slice(i, i + 500).map((id) => ({ id, name, maxRetries: 100 })));
  }
  return ids;
}
