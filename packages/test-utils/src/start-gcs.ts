import { createServer, type Server } from "node:http";
import { createGcsHandler } from "./gcs-server.js";
import { closeServer, LOCALHOST, listen } from "./http-util.js";

export interface StartGcsOptions {
  /** Returned as `projectId`; any value works. Default `test-project`. */
  projectId?: string;
}

export interface GcsServer {
  /** e.g. `http://127.0.0.1:41234`; pass as `apiEndpoint` to `new Storage(...)`. */
  readonly apiEndpoint: string;
  readonly projectId: string;
  /** Creates a bucket (idempotent); not counted by `requestCount()`. */
  bucket(name: string): Promise<void>;
  /** Closes the server and drops all data. */
  stop(): Promise<void>;
  /**
   * Closes the server (dropping open connections) and listens again on the same port; data and
   * open resumable sessions are kept. `downtimeMs` keeps it down that long.
   */
  restart(opts?: { downtimeMs?: number }): Promise<void>;
  /** Requests received since start or the last reset. */
  requestCount(): number;
  resetRequestCount(): void;
}

/**
 * Starts an in-process GCS JSON API test server on 127.0.0.1 on a free port (in memory; see the
 * README for what it covers). Test infrastructure only.
 *
 * @example
 * ```ts
 * const gcs = await startGcs();
 * // A custom apiEndpoint makes the SDK skip authentication.
 * const storage = new Storage({ apiEndpoint: gcs.apiEndpoint, projectId: gcs.projectId });
 * await gcs.bucket("tasks");
 * await storage.bucket("tasks").file("a").save("x", {
 *   resumable: false,
 *   preconditionOpts: { ifGenerationMatch: 0 },
 * });
 * await gcs.stop();
 * ```
 */
export async function startGcs(opts: StartGcsOptions = {}): Promise<GcsServer> {
  const handler = createGcsHandler();
  let count = 0;
  const makeServer = (): Server =>
    createServer((req, res) => {
      count++;
      handler.handle(req, res);
    });
  let server = makeServer();
  const port = await listen(server, 0);
  return {
    apiEndpoint: `http://${LOCALHOST}:${port}`,
    projectId: opts.projectId ?? "test-project",
    async bucket(name) {
      handler.store.createBucket(name);
    },
    async stop() {
      await closeServer(server);
      handler.store.buckets.clear();
    },
    async restart(restartOpts = {}) {
      await closeServer(server);
      if (restartOpts.downtimeMs) await new Promise((r) => setTimeout(r, restartOpts.downtimeMs));
      server = makeServer();
      await listen(server, port);
    },
    requestCount: () => count,
    resetRequestCount: () => {
      count = 0;
    },
  };
}
