import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";

/** Where the peers' servers are; override with the environment for another machine. */
export const REDIS_URL = process.env.OMNIQ_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
export const POSTGRES_URL =
  process.env.OMNIQ_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const dirs = new Set<string>();
let hooked = false;

/** A temp directory removed at exit (also on Ctrl-C). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `omniq-bench-${prefix}-`));
  dirs.add(dir);
  if (!hooked) {
    hooked = true;
    process.on("exit", removeTempDirs);
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.once(sig, () => {
        removeTempDirs();
        process.exit(130);
      });
    }
  }
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

function removeTempDirs(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/** Deletes a SQLite database and its WAL files. */
export function removeDb(path: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(path + suffix, { force: true });
}

/** `null` when something accepts TCP connections at the URL's host:port, else why not. */
export function probe(url: string, defaultPort: number, timeoutMs = 1000): Promise<string | null> {
  const u = new URL(url);
  const host = u.hostname || "127.0.0.1";
  const port = Number(u.port || defaultPort);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason: string | null) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no server at ${host}:${port}`));
    socket.once("connect", () => done(null));
    socket.once("error", () => done(`no server at ${host}:${port}`));
  });
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  sqlite: string;
  gitCommit: string;
  /** 1-minute load average when the run started: other work on the machine skews the numbers. */
  loadAverage: number;
}

export function machineInfo(sqliteVersion: string): MachineInfo {
  let gitCommit = "unknown";
  try {
    gitCommit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    sqlite: sqliteVersion,
    gitCommit,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A logger that drops everything (peers log to the console by default). */
export const silentLogger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
};
