/**
 * `pnpm bench [sqlite|runtime|file ...] [--runs N] [--scale X] [--save]`
 *
 * Runs the selected suites (all by default), prints one aligned table per case group and
 * the targets to stdout (progress goes to stderr), and writes bench/results/latest.json.
 * `--save` also writes bench/results/<suite>.json, the committed sample the docs cite.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import Database from "better-sqlite3";
import { machineInfo } from "./env.js";
import { type Suite, suiteReport } from "./harness.js";

const SUITES = ["sqlite", "runtime", "file"] as const;
type SuiteName = (typeof SUITES)[number];

interface Args {
  suites: SuiteName[];
  runs: number | undefined;
  scale: number;
  save: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const out: Args = { suites: [], runs: undefined, scale: 1, save: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") continue;
    if (a === "--save") out.save = true;
    else if (a === "--runs") out.runs = positive(argv[++i], "--runs");
    else if (a === "--scale") out.scale = positive(argv[++i], "--scale");
    else if ((SUITES as readonly string[]).includes(a)) out.suites.push(a as SuiteName);
    else {
      throw new Error(
        `bench: unknown argument ${JSON.stringify(a)}; expected ${SUITES.join(", ")}, --runs N, --scale X or --save`,
      );
    }
  }
  if (out.suites.length === 0) out.suites = [...SUITES];
  return out;
}

function positive(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`bench: ${flag}: expected a number > 0`);
  return n;
}

async function runSuite(name: SuiteName, args: Args): Promise<Suite> {
  switch (name) {
    case "sqlite": {
      const { sqliteSuite } = await import("./sqlite/sqlite-suite.js");
      return sqliteSuite({ scale: args.scale, runs: args.runs ?? 3 });
    }
    case "runtime": {
      const { runtimeSuite } = await import("./runtime/runtime-suite.js");
      return runtimeSuite({ scale: args.scale, runs: args.runs ?? 3 });
    }
    case "file": {
      const { fileSuite } = await import("./file/file-suite.js");
      return fileSuite({ scale: args.scale, runs: args.runs ?? 3 });
    }
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const db = new Database(":memory:");
  const sqlite = db.prepare("select sqlite_version() as v").pluck().get() as string;
  db.close();
  const machine = machineInfo(sqlite);
  const started = new Date();
  process.stdout.write(
    `OmniQ benchmarks — ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}, SQLite ${machine.sqlite}, ${machine.platform}, commit ${machine.gitCommit}, load average ${machine.loadAverage}\n` +
      `suites: ${args.suites.join(", ")}; scale ${args.scale}\n\n`,
  );
  const suites: Suite[] = [];
  for (const name of args.suites) {
    const t0 = performance.now();
    const loadBefore = loadavg()[0]!;
    const suite = await runSuite(name, args);
    const seconds = (performance.now() - t0) / 1000;
    suite.notes.push(
      `suite took ${seconds.toFixed(0)} s; 1-min load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after (2 cores: above 2 means other work competed)`,
    );
    suites.push(suite);
    process.stdout.write(`${suiteReport(suite)}\n\n`);
    if (args.save) write(`${name}.json`, report(machine, started, args, [suite]));
  }
  write("latest.json", report(machine, started, args, suites));
}

function report(
  machine: ReturnType<typeof machineInfo>,
  started: Date,
  args: Args,
  suites: readonly Suite[],
): unknown {
  return {
    machine,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    scale: args.scale,
    suites: Object.fromEntries(
      suites.map((s) => [s.name, { cases: s.cases, targets: s.targets, notes: s.notes }]),
    ),
  };
}

function write(file: string, data: unknown): void {
  const dir = new URL("../results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(file, dir), `${JSON.stringify(data, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
