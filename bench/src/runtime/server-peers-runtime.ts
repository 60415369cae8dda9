import { Queue, Worker } from "bullmq";
import { Logger as GraphileLogger, makeWorkerUtils, run, type WorkerUtils } from "graphile-worker";
import { Redis } from "ioredis";
import pg from "pg";
import { PgBoss } from "pg-boss";
import { probe } from "../env.js";
import { Countdown, indexOf, type RuntimeImpl } from "./runtime-impl.js";

// ---------------------------------------------------------------- BullMQ (Redis)

const bullName = (runId: string) => `omniq-bench-${runId}`;

/** BullMQ 6 loads ioredis with `require`, absent in ESM: hand it clients instead. */
function redis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** BullMQ: `Queue.addBulk` / `Queue.add`, a `Worker` with `concurrency`, defaults otherwise. */
export const bullmqRuntime: RuntimeImpl = {
  key: "bullmq",
  name: "BullMQ 6.7 (Redis)",
  available: (ctx) => probe(ctx.redisUrl, 6379),
  throughputNote: (c) => `Worker({ concurrency: ${c} }), defaults`,
  latencyNote: "Worker defaults (blocking wait on Redis)",
  async drain(ctx, n, concurrency) {
    const clients = [redis(ctx.redisUrl), redis(ctx.redisUrl)];
    const queue = new Queue(bullName(ctx.runId), { connection: clients[0]! });
    try {
      for (let i = 0; i < n; i += 1000) {
        const count = Math.min(1000, n - i);
        await queue.addBulk(
          Array.from({ length: count }, (_, j) => ({ name: "noop", data: { i: i + j } })),
        );
      }
      const left = new Countdown(n);
      const t0 = performance.now();
      const worker = new Worker(bullName(ctx.runId), async () => {}, {
        connection: clients[1]!,
        concurrency,
      });
      worker.on("completed", () => left.tick());
      await left.done;
      const ms = performance.now() - t0;
      await worker.close();
      return ms;
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      for (const c of clients) c.disconnect();
    }
  },
  async teardown(ctx) {
    const client = redis(ctx.redisUrl);
    const queue = new Queue(bullName(ctx.runId), { connection: client });
    await queue.obliterate({ force: true });
    await queue.close();
    client.disconnect();
  },
  async open(ctx, role) {
    const clients: Redis[] = [];
    const queue = role.producer
      ? new Queue(bullName(ctx.runId), {
          connection: clients[clients.push(redis(ctx.redisUrl)) - 1]!,
        })
      : undefined;
    let worker: Worker | undefined;
    if (role.worker) {
      worker = new Worker(
        bullName(ctx.runId),
        async (job) => {
          role.onStart?.(indexOf(job.data));
        },
        { connection: clients[clients.push(redis(ctx.redisUrl)) - 1]! },
      );
      await worker.waitUntilReady();
    }
    if (queue) await queue.waitUntilReady();
    return {
      enqueue: (i) => queue!.add("noop", { i }),
      async close() {
        await worker?.close();
        await queue?.close();
        for (const c of clients) c.disconnect();
      },
    };
  },
};

// ---------------------------------------------------------------- PostgreSQL helpers

const schemaName = (lib: string, runId: string) =>
  `omniq_bench_${lib}_${runId}`.replace(/[^a-z0-9_]/gi, "_").toLowerCase();

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** Polls pg-boss's job table (2 ms apart) until no job is created, retrying or active. */
async function untilSettled(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from "${schema}".job where state in ('created', 'retry', 'active')`,
      );
      if (rows[0]!.n === 0) return;
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- graphile-worker

const silentGraphile = new GraphileLogger(() => () => {});

async function graphileUtils(url: string, runId: string): Promise<WorkerUtils> {
  const utils = await makeWorkerUtils({
    connectionString: url,
    schema: schemaName("gw", runId),
    logger: silentGraphile,
  });
  await utils.migrate();
  return utils;
}

/**
 * graphile-worker: `addJobs` / `addJob`, `run({ concurrency })`. Throughput uses the batching
 * its performance docs recommend (localQueue of concurrency + 1, completeJobBatchDelay 0);
 * latency uses its defaults (LISTEN/NOTIFY).
 */
export const graphileRuntime: RuntimeImpl = {
  key: "graphile",
  name: "graphile-worker 0.18 (PostgreSQL)",
  available: (ctx) => probe(ctx.postgresUrl, 5432),
  throughputNote: (c) => `run({ concurrency: ${c} }), localQueue ${c + 1}, completeJobBatchDelay 0`,
  latencyNote: "run() defaults (LISTEN/NOTIFY)",
  async drain(ctx, n, concurrency) {
    const schema = schemaName("gw", ctx.runId);
    const utils = await graphileUtils(ctx.postgresUrl, ctx.runId);
    try {
      for (let i = 0; i < n; i += 1000) {
        const count = Math.min(1000, n - i);
        await utils.addJobs(
          Array.from({ length: count }, (_, j) => ({ identifier: "noop", payload: { i: i + j } })),
        );
      }
      const left = new Countdown(n);
      const t0 = performance.now();
      const runner = await run({
        connectionString: ctx.postgresUrl,
        schema,
        concurrency,
        noHandleSignals: true,
        logger: silentGraphile,
        taskList: { noop: async () => {} },
        preset: { worker: { localQueue: { size: concurrency + 1 }, completeJobBatchDelay: 0 } },
      });
      runner.events.on("job:success", () => left.tick());
      await left.done;
      const ms = performance.now() - t0;
      await runner.stop();
      return ms;
    } finally {
      await utils.release();
      await dropSchema(ctx.postgresUrl, schema);
    }
  },
  async setup(ctx) {
    await (await graphileUtils(ctx.postgresUrl, ctx.runId)).release();
  },
  async teardown(ctx) {
    await dropSchema(ctx.postgresUrl, schemaName("gw", ctx.runId));
  },
  async open(ctx, role) {
    const utils = role.producer ? await graphileUtils(ctx.postgresUrl, ctx.runId) : undefined;
    const runner = role.worker
      ? await run({
          connectionString: ctx.postgresUrl,
          schema: schemaName("gw", ctx.runId),
          noHandleSignals: true,
          logger: silentGraphile,
          taskList: {
            noop: async (payload) => {
              role.onStart?.(indexOf(payload));
            },
          },
        })
      : undefined;
    return {
      enqueue: (i) => utils!.addJob("noop", { i }),
      async close() {
        await runner?.stop();
        await utils?.release();
      },
    };
  },
};

// ---------------------------------------------------------------- pg-boss

const PGBOSS_QUEUE = "noop";

async function startBoss(ctx: { postgresUrl: string; runId: string }, listen: boolean) {
  const boss = new PgBoss({
    connectionString: ctx.postgresUrl,
    schema: schemaName("pgb", ctx.runId),
    schedule: false,
    supervise: false,
    useListenNotify: listen,
  });
  boss.on("error", () => {});
  await boss.start();
  await boss.createQueue(PGBOSS_QUEUE, { notify: true }).catch(() => {});
  return boss;
}

/**
 * pg-boss: `insert` / `send`, `work()`. Throughput: one worker fetching batches of 10 with
 * `burstWhenBatchFull` (a batch of 1 waits the 0.5 s minimum poll after every job), running
 * the batch's jobs one at a time (concurrency 1) or all at once (concurrency 10). Latency:
 * `useListenNotify` with a `notify` queue.
 */
export const pgbossRuntime: RuntimeImpl = {
  key: "pgboss",
  name: "pg-boss 12 (PostgreSQL)",
  available: (ctx) => probe(ctx.postgresUrl, 5432),
  throughputNote: (c) =>
    `work({ batchSize: 10, burstWhenBatchFull }), jobs of a batch ${c === 1 ? "one at a time" : `${c} at once`}`,
  latencyNote: "useListenNotify + notify queue, poll 0.5 s",
  async drain(ctx, n, concurrency) {
    const boss = await startBoss(ctx, false);
    try {
      for (let i = 0; i < n; i += 1000) {
        const count = Math.min(1000, n - i);
        await boss.insert(
          PGBOSS_QUEUE,
          Array.from({ length: count }, (_, j) => ({ data: { i: i + j } })),
        );
      }
      const handled = new Countdown(n);
      const t0 = performance.now();
      await boss.work(
        PGBOSS_QUEUE,
        { batchSize: 10, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
        async (jobs) => {
          if (concurrency === 1) {
            for (const _ of jobs) await Promise.resolve();
          } else {
            await Promise.all(jobs.map(async () => {}));
          }
          handled.tick(jobs.length);
        },
      );
      await handled.done;
      // The last batch is completed after its handler returns: wait until none is left open.
      await untilSettled(ctx.postgresUrl, schemaName("pgb", ctx.runId));
      const ms = performance.now() - t0;
      await boss.offWork(PGBOSS_QUEUE);
      return ms;
    } finally {
      await boss.stop({ graceful: false, close: true });
      await dropSchema(ctx.postgresUrl, schemaName("pgb", ctx.runId));
    }
  },
  async setup(ctx) {
    await (await startBoss(ctx, false)).stop({ graceful: false, close: true });
  },
  async teardown(ctx) {
    await dropSchema(ctx.postgresUrl, schemaName("pgb", ctx.runId));
  },
  async open(ctx, role) {
    const boss = await startBoss(ctx, role.worker);
    if (role.worker) {
      await boss.work(PGBOSS_QUEUE, { pollingIntervalSeconds: 0.5 }, async (jobs) => {
        for (const job of jobs) role.onStart?.(indexOf(job.data));
      });
    }
    return {
      enqueue: (i) => boss.send(PGBOSS_QUEUE, { i }),
      close: () => boss.stop({ graceful: false, close: true }),
    };
  },
};
