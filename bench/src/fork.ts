import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const children = new Set<ChildProcess>();
let hooked = false;

/** The tsx loader, resolved from this package so children work from any cwd. */
const TSX = import.meta.resolve("tsx");

/**
 * Forks a TypeScript module of this package as a child process with an IPC channel.
 * Children still alive when this process exits are killed.
 */
export function forkTs(module: string, args: readonly string[] = []): ChildProcess {
  const file = fileURLToPath(new URL(module, import.meta.url));
  const child = fork(file, [...args], {
    execArgv: ["--import", TSX],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const c of children) c.kill("SIGKILL");
    });
  }
  return child;
}

interface Message {
  type: string;
  message?: string;
}

/** Resolves with the child's next message of `type`; rejects on an error message, an exit or a timeout. */
export function nextMessage<T extends Message>(
  child: ChildProcess,
  type: string,
  timeoutMs = 60_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`child ${child.pid}: no "${type}" message after ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: Message) => {
      if (m?.type === type) {
        cleanup();
        resolve(m as T);
      } else if (m?.type === "error") {
        cleanup();
        reject(new Error(`child ${child.pid}: ${m.message}`));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (code ${code}) before "${type}"`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

/** Waits for the child to exit, killing it after `timeoutMs`. */
export function waitExit(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
