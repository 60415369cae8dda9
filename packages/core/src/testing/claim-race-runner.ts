/**
 * Child process of `runClaimRace`: builds its own queue from the factory module, waits for
 * "go", then claims and completes until the queue stays empty, and reports what it did.
 */
import type { TaskQueue } from "../contracts/queue-types.js";
import type {
  RaceChildMessage,
  RaceFactoryModule,
  RaceGoMessage,
  RaceStartMessage,
} from "./claim-race-protocol.js";

const send = (msg: RaceChildMessage): Promise<void> =>
  new Promise((resolve, reject) => {
    process.send!(msg, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });

const inbox: unknown[] = [];
let waiter: ((msg: unknown) => void) | undefined;
process.on("message", (msg) => {
  const w = waiter;
  waiter = undefined;
  if (w) w(msg);
  else inbox.push(msg);
});

function nextMessage<T>(): Promise<T> {
  if (inbox.length > 0) return Promise.resolve(inbox.shift() as T);
  return new Promise((resolve) => {
    waiter = (msg) => resolve(msg as T);
  });
}

async function main(): Promise<void> {
  // The parent sends "start" only after "hello", so no message can arrive before the listener.
  await send({ type: "hello" });
  const start = await nextMessage<RaceStartMessage>();
  const mod = (await import(start.factoryModule)) as RaceFactoryModule;
  const queue = (await mod.createQueue(start.factoryArg)) as TaskQueue;
  await queue.count({ queue: start.queue });
  const go = nextMessage<RaceGoMessage>();
  await send({ type: "ready" });
  await go;

  const completed: string[] = [];
  const claimed: string[] = [];
  const lost: string[] = [];
  let idleSince: number | null = null;
  for (;;) {
    const tasks = await queue.dequeueMany({
      queues: [start.queue],
      workerId: start.workerId,
      limit: start.batch,
      leaseMs: 600_000,
    });
    if (tasks.length === 0) {
      idleSince ??= Date.now();
      if (Date.now() - idleSince >= start.idleMs) break;
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    idleSince = null;
    for (const t of tasks) claimed.push(t.id);
    const done = await queue.completeMany(
      tasks.map((t) => ({ id: t.id, workerId: start.workerId })),
    );
    done.forEach((t, i) => {
      if (t) completed.push(t.id);
      else lost.push(tasks[i]!.id);
    });
  }
  await queue.close();
  await send({ type: "done", completed, claimed, lost });
}

main().then(
  () => {
    process.removeAllListeners("message");
    process.disconnect();
  },
  async (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    await send({ type: "error", message: e.message, stack: e.stack }).catch(() => undefined);
    process.exitCode = 1;
    process.removeAllListeners("message");
    process.disconnect();
  },
);
