import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { TaskQueue } from "../contracts/queue-types.js";
import { uuidv7 } from "../ids.js";
import type { TaskStatus } from "../models/task.js";
import type {
  RaceChildMessage,
  RaceFactoryModule,
  RaceStartMessage,
} from "./claim-race-protocol.js";

export type { RaceFactoryModule } from "./claim-race-protocol.js";

export interface ClaimRaceOptions {
  /** Child processes that claim at the same time. */
  processes: number;
  /** Tasks enqueued before the race. */
  tasks: number;
  /**
   * Module (file URL, absolute path or package specifier) whose export `createQueue(arg)`
   * builds the queue, in the parent and in every child. Must be plain JS (built).
   */
  factoryModule: string;
  /** Passed to `createQueue` (structured-cloned to the children). */
  factoryArg: unknown;
  /** Tasks claimed per `dequeueMany`. @defaultValue 1 */
  batch?: number;
  /** @defaultValue "race" */
  queue?: string;
  /** The whole race, children included. @defaultValue 120_000 */
  timeoutMs?: number;
  /** A child stops once the queue stayed empty this long. @defaultValue 500 */
  idleMs?: number;
}

export interface ClaimRaceResult {
  /** Claims made, duplicates included. */
  claimed: number;
  /** Task ids claimed (or completed) more than once. */
  duplicates: string[];
  /** Task ids not completed by any child, or not `success` in the store afterwards. */
  missing: string[];
  /** Tasks completed by each child. */
  perProcess: number[];
  /** From "go" until the last child finished. */
  elapsedMs: number;
}

const CHUNK = 500;

/**
 * Races `processes` OS processes claiming the same `tasks` tasks, each with its own queue
 * instance built by `factoryModule`. Checks nothing itself: assert on the result.
 *
 * @example
 * ```ts
 * const r = await runClaimRace({
 *   processes: 4, tasks: 400, batch: 5,
 *   factoryModule: new URL("./fixtures/sqlite-factory.mjs", import.meta.url).href,
 *   factoryArg: { path: dbFile },
 * });
 * expect(r.duplicates).toEqual([]);
 * expect(r.missing).toEqual([]);
 * expect(r.claimed).toBe(400);
 * ```
 */
export async function runClaimRace(opts: ClaimRaceOptions): Promise<ClaimRaceResult> {
  const processes = positive(opts.processes, "processes");
  const tasks = positive(opts.tasks, "tasks");
  const batch = positive(opts.batch ?? 1, "batch");
  const queueName = opts.queue ?? "race";
  const moduleUrl = resolveModule(opts.factoryModule);
  const factory = (await import(moduleUrl)) as RaceFactoryModule;
  if (typeof factory.createQueue !== "function") {
    throw new Error(`runClaimRace: ${opts.factoryModule} does not export createQueue(arg)`);
  }
  const build = async () => (await factory.createQueue(opts.factoryArg)) as TaskQueue;

  const ids: string[] = [];
  const seed = await build();
  try {
    for (let i = 0; i < tasks; i += CHUNK) {
      const chunk = Array.from({ length: Math.min(CHUNK, tasks - i) }, (_, j) => ({
        id: uuidv7(),
        name: "race",
        queue: queueName,
        args: [i + j],
      }));
      await seed.enqueueMany(chunk);
      for (const t of chunk) ids.push(t.id);
    }
  } finally {
    await seed.close();
  }

  const reports = await race(
    processes,
    {
      type: "start",
      factoryModule: moduleUrl,
      factoryArg: opts.factoryArg,
      queue: queueName,
      batch,
      idleMs: opts.idleMs ?? 500,
      workerId: "",
    },
    opts.timeoutMs ?? 120_000,
  );

  const claims = new Map<string, number>();
  const completions = new Map<string, number>();
  for (const r of reports.done) {
    for (const id of r.claimed) claims.set(id, (claims.get(id) ?? 0) + 1);
    for (const id of r.completed) completions.set(id, (completions.get(id) ?? 0) + 1);
  }
  const duplicates = new Set<string>();
  for (const [id, n] of claims) if (n > 1) duplicates.add(id);
  for (const [id, n] of completions) if (n > 1) duplicates.add(id);
  const missing = new Set(ids.filter((id) => completions.get(id) !== 1 && !duplicates.has(id)));

  const check = await build();
  try {
    const notDone: TaskStatus[] = ["pending", "running", "failed", "cancelled", "expired"];
    let cursor: string | undefined;
    do {
      const page = await check.list({ queue: queueName, statuses: notDone, limit: 1000, cursor });
      for (const t of page.items) missing.add(t.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const success = await check.count({ queue: queueName, statuses: ["success"] });
    if (success !== ids.length - missing.size) {
      // Some task vanished or an extra one appeared: find the ids that are not `success`.
      for (const id of ids) {
        if (!missing.has(id) && (await check.get(id))?.status !== "success") missing.add(id);
      }
    }
  } finally {
    await check.close();
  }

  return {
    claimed: reports.done.reduce((n, r) => n + r.claimed.length, 0),
    duplicates: [...duplicates],
    missing: [...missing],
    perProcess: reports.done.map((r) => r.completed.length),
    elapsedMs: reports.elapsedMs,
  };
}

type Done = Extract<RaceChildMessage, { type: "done" }>;

/** Forks the children, starts them together, and collects their reports. */
function race(
  processes: number,
  start: RaceStartMessage,
  timeoutMs: number,
): Promise<{ done: Done[]; elapsedMs: number }> {
  const runner = runnerPath();
  const children: ChildProcess[] = [];
  const done: Array<Done | undefined> = [];
  let ready = 0;
  let finished = 0;
  let goAt = 0;
  return new Promise((resolve, reject) => {
    let settled = false;
    const stopAll = () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stopAll();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`runClaimRace: timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    for (let i = 0; i < processes; i++) {
      const child = fork(runner, [], {
        execArgv: childExecArgv(),
        env: { ...process.env, NODE_OPTIONS: childNodeOptions() },
        serialization: "advanced",
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      children.push(child);
      done.push(undefined);
      child.on("message", (raw) => {
        const msg = raw as RaceChildMessage;
        if (msg.type === "hello") {
          child.send({ ...start, workerId: `race-${i}-${child.pid}` });
        } else if (msg.type === "ready") {
          if (++ready === processes) {
            goAt = performance.now();
            for (const c of children) c.send({ type: "go" });
          }
        } else if (msg.type === "done") {
          done[i] = msg;
        } else if (msg.type === "error") {
          fail(new Error(`runClaimRace: child ${i} failed: ${msg.stack ?? msg.message}`));
        }
      });
      child.on("error", (err) => fail(err));
      child.on("exit", (code, signal) => {
        if (!done[i]) {
          fail(
            new Error(
              `runClaimRace: child ${i} exited (code ${code}, signal ${signal}) before reporting`,
            ),
          );
          return;
        }
        if (++finished === processes && !settled) {
          settled = true;
          clearTimeout(timer);
          resolve({ done: done as Done[], elapsedMs: performance.now() - goAt });
        }
      });
    }
  });
}

function positive(n: number, field: string): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`runClaimRace: ${field} must be a positive integer, got ${String(n)}`);
  }
  return n;
}

/** A file URL for the factory module; bare specifiers resolve from the current directory. */
function resolveModule(spec: string): string {
  if (/^(file|data|node):/.test(spec)) return spec;
  if (isAbsolute(spec)) return pathToFileURL(spec).href;
  const base = createRequire(join(process.cwd(), "noop.js"));
  return pathToFileURL(base.resolve(spec.startsWith(".") ? join(process.cwd(), spec) : spec)).href;
}

/** The compiled runner next to this file, or in dist/ when this file runs from src/. */
function runnerPath(): string {
  for (const rel of ["./claim-race-runner.js", "../../dist/testing/claim-race-runner.js"]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error("runClaimRace: claim-race-runner.js not found; build @omniq/core first");
}

const TEST_RUNNER = /vitest|vite-node|tinypool|tinyspy/;
const VALUE_FLAGS = new Set(["--loader", "--experimental-loader", "--import", "--require", "-r"]);

/** The parent's execArgv without the test runner's loaders and without inspector flags. */
function childExecArgv(): string[] {
  const argv = process.execArgv;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (VALUE_FLAGS.has(arg)) {
      const value = argv[++i] ?? "";
      if (!TEST_RUNNER.test(value)) out.push(arg, value);
      continue;
    }
    if (arg.startsWith("--inspect") || (arg.includes("=") && TEST_RUNNER.test(arg))) continue;
    out.push(arg);
  }
  return out;
}

function childNodeOptions(): string {
  const parts = (process.env.NODE_OPTIONS ?? "").split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (VALUE_FLAGS.has(p)) {
      const value = parts[++i] ?? "";
      if (!TEST_RUNNER.test(value)) out.push(p, value);
    } else if (!TEST_RUNNER.test(p) && !p.startsWith("--inspect")) out.push(p);
  }
  return out.join(" ");
}
