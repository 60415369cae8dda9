/**
 * `pnpm --filter @omniq/bench profile <case> [count]`: runs one OmniQ hot path under the V8
 * CPU profiler (node:inspector) and prints the functions with the most self time, so a
 * hotspot named in docs/benchmarks.md can be checked again after a change.
 *
 * Cases: enqueue, bulk, claim, batch (AsyncSQLiteQueue), runtime (worker at concurrency 10),
 * file-memory, file-local, file-zenfs (AsyncFileQueue enqueue+claim+complete, as `pnpm bench
 * file` measures it), file-bulk (enqueueMany on MemoryTarget), file-batch (dequeueMany +
 * completeMany on MemoryTarget), file-runtime (worker at concurrency 10 on AsyncFileQueue + MemoryTarget).
 */
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { AsyncOmniQ, type TaskQueue } from "@omniq/core";
import { AsyncFileQueue, MemoryTarget } from "@omniq/file";
import { AsyncSQLiteQueue } from "@omniq/sqlite";
import { removeTempDir, tempDir } from "./env.js";
import { table } from "./harness.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const CASES: Record<string, (dir: string, n: number) => Promise<() => Promise<void>>> = {
  async enqueue(dir, n) {
    const q = await sqlite(dir);
    return async () => {
      for (let i = 0; i < n; i++) await q.enqueue({ name: "bench", args: [i] });
    };
  },
  async bulk(dir, n) {
    const q = await sqlite(dir);
    return async () => {
      for (let i = 0; i < n; i += 1000) {
        await q.enqueueMany(
          Array.from({ length: 1000 }, (_, j) => ({ name: "bench", args: [i + j] })),
        );
      }
    };
  },
  async claim(dir, n) {
    const q = await filled(dir, n);
    return async () => {
      for (;;) {
        const t = await q.dequeue({ workerId: "w" });
        if (!t) break;
        await q.complete(t.id, "w");
      }
    };
  },
  async batch(dir, n) {
    const q = await filled(dir, n);
    return async () => {
      for (;;) {
        const ts = await q.dequeueMany({ workerId: "w", limit: 100 });
        if (ts.length === 0) break;
        await q.completeMany(ts.map((t) => ({ id: t.id, workerId: "w" })));
      }
    };
  },
  async runtime(dir, n) {
    const omniq = new AsyncOmniQ({ queue: await filled(dir, n, "noop") });
    omniq.task("noop", () => {});
    return async () => {
      await omniq.worker({ concurrency: 10 }).runUntilIdle();
    };
  },
  async "file-runtime"(_dir, n) {
    const queue = new AsyncFileQueue({ target: new MemoryTarget({ name: "profile-runtime" }) });
    for (let i = 0; i < n; i += 1000) {
      await queue.enqueueMany(
        Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ name: "noop", args: [i + j] })),
      );
    }
    const omniq = new AsyncOmniQ({ queue });
    omniq.task("noop", () => {});
    return async () => {
      await omniq.worker({ concurrency: 10 }).runUntilIdle();
    };
  },
  async "file-memory"(_dir, n) {
    return cycle(new AsyncFileQueue({ target: new MemoryTarget({ name: "profile" }) }), n);
  },
  async "file-bulk"(_dir, n) {
    const q = new AsyncFileQueue({ target: new MemoryTarget({ name: "profile-bulk" }) });
    return async () => {
      for (let i = 0; i < n; i += 1000) {
        await q.enqueueMany(
          Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
            name: "bench",
            args: [i + j],
          })),
        );
      }
    };
  },
  async "file-batch"(_dir, n) {
    const q = new AsyncFileQueue({ target: new MemoryTarget({ name: "profile-batch" }) });
    for (let i = 0; i < n; i += 1000) {
      await q.enqueueMany(
        Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ name: "bench", args: [i + j] })),
      );
    }
    return async () => {
      for (;;) {
        const ts = await q.dequeueMany({ workerId: "w", limit: 100 });
        if (ts.length === 0) break;
        await q.completeMany(ts.map((t) => ({ id: t.id, workerId: "w" })));
      }
    };
  },
  async "file-local"(dir, n) {
    return cycle(new AsyncFileQueue({ baseDir: join(dir, "files") }), n);
  },
  async "file-zenfs"(_dir, n) {
    return cycle(new AsyncFileQueue({ target: { kind: "zenfs", baseDir: "/omniq-profile" } }), n);
  },
};

async function sqlite(dir: string): Promise<AsyncSQLiteQueue> {
  const q = new AsyncSQLiteQueue({ path: join(dir, "profile.db") });
  await q.init();
  return q;
}

async function filled(dir: string, n: number, name = "bench"): Promise<AsyncSQLiteQueue> {
  const q = await sqlite(dir);
  for (let i = 0; i < n; i += 1000) {
    await q.enqueueMany(
      Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ name, args: [i + j] })),
    );
  }
  return q;
}

function cycle(q: TaskQueue, n: number): () => Promise<void> {
  return async () => {
    for (let i = 0; i < n; i++) await q.enqueue({ name: "bench", args: [i] });
    for (;;) {
      const t = await q.dequeue({ workerId: "w" });
      if (!t) break;
      await q.complete(t.id, "w");
    }
  };
}

async function main(): Promise<void> {
  const [name = "claim", count] = process.argv.slice(2).filter((a) => a !== "--");
  const make = CASES[name];
  if (!make)
    throw new Error(`profile: unknown case ${name}; one of ${Object.keys(CASES).join(", ")}`);
  const n = Number(count ?? 10_000);
  const dir = tempDir("profile");
  const run = await make(dir, n);
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  removeTempDir(dir);

  const nodes = profile.nodes as ProfileNode[];
  const total = nodes.reduce((s, node) => s + (node.hitCount ?? 0), 0);
  const keyOf = (node: ProfileNode): string => {
    const f = node.callFrame;
    const where = f.url
      ? `${f.url.replace(/^.*\/(packages|node_modules)\//, "$1/")}:${f.lineNumber + 1}`
      : "";
    return `${f.functionName || "(anonymous)"} ${where}`.trim();
  };
  const self = new Map<string, number>();
  for (const node of nodes) {
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + (node.hitCount ?? 0));
  }
  // Inclusive time: each function counted once per stack (recursion is not counted twice).
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const inclusive = new Map<string, number>();
  const hitsBelow = new Map<number, number>();
  const sumBelow = (node: ProfileNode): number => {
    let s = node.hitCount ?? 0;
    for (const c of node.children ?? []) s += sumBelow(byId.get(c)!);
    hitsBelow.set(node.id, s);
    return s;
  };
  const root = nodes[0]!;
  sumBelow(root);
  const onStack = new Map<string, number>();
  const walk = (node: ProfileNode): void => {
    const key = keyOf(node);
    const depth = onStack.get(key) ?? 0;
    if (depth === 0) inclusive.set(key, (inclusive.get(key) ?? 0) + hitsBelow.get(node.id)!);
    onStack.set(key, depth + 1);
    for (const c of node.children ?? []) walk(byId.get(c)!);
    onStack.set(key, depth);
  };
  walk(root);
  const pct = (v: number) => `${((v / total) * 100).toFixed(1)}%`;
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([k, v]) => [pct(v), pct(inclusive.get(k) ?? 0), k]);
  const incRows = [...inclusive.entries()]
    .filter(([k]) => !k.startsWith("(root)") && !k.startsWith("(program)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([k, v]) => [pct(v), pct(self.get(k) ?? 0), k]);
  process.stdout.write(
    `${name}: ${n} tasks in ${ms.toFixed(0)} ms (${Math.round((n / ms) * 1000)} tasks/s); self time by function:\n${table(["self", "total", "function"], rows)}\n\ntotal (inclusive) time by function:\n${table(["total", "self", "function"], incRows)}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
