import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const SERVER = fileURLToPath(new URL("./fixtures/cloud-server.mjs", import.meta.url));

/** A test storage server running in a child process (fixtures/cloud-server.mjs). */
export interface ServerChild {
  child: ChildProcess;
  /** The connection details the server printed (endpoint, credentials of the test server). */
  info: Record<string, unknown>;
  /** Stops the server and waits for the child to exit. */
  stop(): Promise<void>;
}

/**
 * Starts one test server (`s3`, `gcs` or `azure`) with its buckets in a child process, for
 * tests that block their own thread (the blocking twins park it with `Atomics.wait`, and the
 * S3 and GCS test servers answer from the event loop of the process that started them).
 */
export function forkServer(kind: string, buckets: readonly string[]): Promise<ServerChild> {
  const child = fork(SERVER, [kind, ...buckets], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
    env: { ...process.env, NODE_OPTIONS: "" },
    execArgv: [],
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.send({ type: "stop" });
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /ready (\{.*\})\n/.exec(out);
      if (m) resolve({ child, info: JSON.parse(m[1]!) as Record<string, unknown>, stop });
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`cloud-server ${kind} exited early (${code ?? signal}): ${out}`)),
    );
  });
}

/** S3 client options for the test server a `forkServer("s3", ...)` child runs. */
export function s3OptionsOf(info: Record<string, unknown>): Record<string, unknown> {
  return {
    endpoint: info.endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
  };
}
