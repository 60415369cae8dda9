import { setTimeout as sleep } from "node:timers/promises";
import {
  AsyncOmniQ,
  NotFoundError,
  type TaskContext,
  UnrecoverableError,
  ValidationError,
} from "@omniq/core";
import { SQLiteBackend } from "@omniq/sqlite";
import Fastify, { type FastifyInstance } from "fastify";

const KINDS = ["sales", "signups"];

/**
 * The HTTP API and the task queue in one process: POST /reports enqueues a report and answers
 * 202 at once; a worker builds it in the background; GET /reports/:id shows its status,
 * progress, result and event timeline. Closing the app stops the worker and the database.
 */
export async function createApp(dbPath: string): Promise<FastifyInstance> {
  const omniq = new AsyncOmniQ({ backend: new SQLiteBackend({ path: dbPath }) });

  const buildReport = omniq.task(
    "report.build",
    async (kind: string, days: number, ctx: TaskContext) => {
      if (!KINDS.includes(kind)) throw new UnrecoverableError(`unknown report kind "${kind}"`);
      for (const step of ["query", "aggregate", "render"]) {
        await ctx.progress({ step });
        await sleep(50 + Math.random() * 100, undefined, { signal: ctx.signal });
      }
      return { kind, days, rows: days * 24, total: Math.round(days * 1234.5) };
    },
    { timeoutMs: 10_000, maxRetries: 2 },
  );

  const worker = omniq.worker({ concurrency: 2 });
  await worker.start();

  const app = Fastify({ logger: process.env.OMNIQ_EXAMPLE_CI !== "1" });
  app.addHook("onClose", async () => {
    await omniq.close(); // stops the worker gracefully, then closes the components and the backend
  });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof NotFoundError) return reply.code(404).send({ error: err.message });
    if (err instanceof ValidationError) return reply.code(400).send({ error: err.message });
    return reply.send(err);
  });

  app.post<{ Body: { kind: string; days?: number } }>(
    "/reports",
    {
      schema: {
        body: {
          type: "object",
          required: ["kind"],
          properties: { kind: { type: "string" }, days: { type: "integer", minimum: 1 } },
        },
      },
    },
    async (req, reply) => {
      const h = await buildReport.enqueue(req.body.kind, req.body.days ?? 7);
      return reply
        .code(202)
        .header("location", `/reports/${h.id}`)
        .send({ id: h.id, status: h.task.status });
    },
  );

  app.get<{ Params: { id: string } }>("/reports/:id", async (req) => {
    const task = await omniq.get(req.params.id);
    if (!task) throw new NotFoundError(`report ${req.params.id} not found`, req.params.id);
    const finished = task.status !== "pending" && task.status !== "running";
    const result = finished ? await omniq.result(task.id, { waitMs: 0 }) : null;
    const events = await omniq.events(task.id);
    return {
      id: task.id,
      status: task.status,
      progress: task.progress,
      attempts: task.attempts,
      result: result?.value ?? null,
      error: result?.error?.message ?? null,
      events: events.map((e) => ({ type: e.type, at: e.at, attempt: e.attempt })),
    };
  });

  return app;
}
