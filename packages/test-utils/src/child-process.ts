import { type ChildProcess, spawn } from "node:child_process";

/**
 * Preloaded into every child: when the parent dies (even by SIGKILL) its end of the IPC channel
 * closes, the child sees `disconnect` and exits, so no server is left behind. `unref` keeps the
 * channel from holding the child's event loop open on its own.
 */
const WATCHDOG = [
  "if (process.channel) {",
  "  process.on('disconnect', () => process.exit(0));",
  "  process.channel.unref();",
  "}",
].join("\n");
const WATCHDOG_URL = `data:text/javascript;base64,${Buffer.from(WATCHDOG).toString("base64")}`;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

export interface NodeChildOptions {
  /** Label used in error messages. */
  name: string;
  /** Extra flags for `node` itself, placed before the script. */
  nodeArgs?: readonly string[];
  /** Script path followed by its arguments. */
  args: readonly string[];
  /** Matched against the child's stdout+stderr; the child is ready when it matches. */
  ready: RegExp;
  /**
   * Printed by the child once it has shut down cleanly after SIGTERM. The parent then closes the
   * IPC channel so the child exits even if something else keeps its event loop alive.
   */
  closed?: RegExp;
  /** Echo the child's output to this process's stderr. Default false. */
  verbose?: boolean;
  timeoutMs?: number;
}

export interface NodeChild {
  readonly pid: number | undefined;
  /** The `ready` match. */
  readonly match: RegExpMatchArray;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
  stop(graceMs?: number): Promise<void>;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Spawns `node [nodeArgs] script args` and resolves once its output matches `ready`. */
export function spawnNodeChild(opts: NodeChildOptions): Promise<NodeChild> {
  installExitHook();
  const child = spawn(
    process.execPath,
    ["--import", WATCHDOG_URL, ...(opts.nodeArgs ?? []), ...opts.args],
    { stdio: ["ignore", "pipe", "pipe", "ipc"], env: { ...process.env, NODE_OPTIONS: "" } },
  );
  live.add(child);
  child.once("exit", () => live.delete(child));

  let stopping = false;
  let tail = "";
  const stop = async (graceMs = 5_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = waitForExit(child);
    stopping = true;
    tail = "";
    child.kill(graceMs > 0 ? "SIGTERM" : "SIGKILL");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<NodeChild>((resolve, reject) => {
    let output = "";
    let settled = false;
    const settle = (err: Error | undefined, match?: RegExpMatchArray): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        void stop(0).then(() => reject(err));
      } else if (match) {
        resolve({ pid: child.pid, match, stop });
      }
    };
    const onData = (chunk: Buffer): void => {
      if (opts.verbose) process.stderr.write(chunk);
      if (stopping && opts.closed && child.connected) {
        tail = (tail + chunk.toString("utf8")).slice(-1_000);
        if (opts.closed.test(tail)) child.disconnect();
      }
      if (settled) return;
      output = (output + chunk.toString("utf8")).slice(-8_000);
      const m = output.match(opts.ready);
      if (m) settle(undefined, m);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (err) => settle(err));
    child.once("exit", (code, signal) =>
      settle(new Error(`${opts.name} exited early (code ${code}, signal ${signal}):\n${output}`)),
    );
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(
      () => settle(new Error(`${opts.name} not ready after ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
  });
}
