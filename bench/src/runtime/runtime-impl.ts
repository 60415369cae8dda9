/**
 * One queue library end to end (its own worker, a no-op handler) for the runtime suite.
 */
export interface RuntimeCtx {
  /** Temp dir for SQLite files. */
  dir: string;
  /** Unique per run: names the database file, the Redis queue or the PostgreSQL schema. */
  runId: string;
  redisUrl: string;
  postgresUrl: string;
}

export interface LatencyRole {
  /** This process enqueues. */
  producer: boolean;
  /** This process runs a worker; `onStart(i)` is called first thing in the handler of task `i`. */
  worker: boolean;
  onStart?: (i: number) => void;
}

export interface LatencySession {
  /** Enqueues task `i` (producer only). */
  enqueue(i: number): Promise<unknown>;
  close(): Promise<void>;
}

export interface RuntimeImpl {
  key: string;
  name: string;
  /** `null` when it can run here, else why not (e.g. "no server at 127.0.0.1:6379"). */
  available(ctx: RuntimeCtx): Promise<string | null>;
  /** How it was configured for throughput at this concurrency (shown in the table). */
  throughputNote(concurrency: number): string;
  latencyNote: string;
  /**
   * Enqueues `n` tasks (untimed), then starts a worker with `concurrency` and returns the
   * milliseconds until all `n` were completed (worker start included).
   */
  drain(ctx: RuntimeCtx, n: number, concurrency: number): Promise<number>;
  /** Creates what a producer and a worker in two processes share (schema, queue). */
  setup?(ctx: RuntimeCtx): Promise<void>;
  /** Removes what `setup` or a session created (database file, schema, Redis keys). */
  teardown?(ctx: RuntimeCtx): Promise<void>;
  /** A producer and/or an idle worker for the latency cases; resolves once the worker is started. */
  open(ctx: RuntimeCtx, role: LatencyRole): Promise<LatencySession>;
}

/** Resolves when `count()` reaches `n`; the caller bumps it and calls `check()`. */
export class Countdown {
  #left: number;
  #resolve!: () => void;
  readonly done: Promise<void>;

  constructor(n: number) {
    this.#left = n;
    this.done = new Promise((r) => {
      this.#resolve = r;
    });
    if (n <= 0) this.#resolve();
  }

  tick(by = 1): void {
    this.#left -= by;
    if (this.#left <= 0) this.#resolve();
  }
}

/** The task index of a peer's payload: `[i]` (SQLite peers) or `{ i }` (server peers). */
export function indexOf(data: unknown): number {
  if (Array.isArray(data)) return Number(data[0]);
  if (typeof data === "string") return indexOf(JSON.parse(data));
  return Number((data as { i?: unknown })?.i);
}
