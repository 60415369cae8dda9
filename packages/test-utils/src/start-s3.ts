import { createServer, request, type Server } from "node:http";
import { type NodeChild, spawnNodeChild } from "./child-process.js";
import { closeServer, LOCALHOST, listen } from "./http-util.js";
import { resolvePackageBin } from "./resolve-bin.js";
import { createS3ProxyHandler } from "./s3-proxy.js";
import { makeTempDir, removeDir } from "./temp-dir.js";
import { waitForPort } from "./wait-for-port.js";

export interface StartS3Options {
  /** Hide s3rver's log. Default true. */
  silent?: boolean;
  /**
   * Status for `If-Match` on a key that does not exist (PUT, CompleteMultipartUpload, DELETE).
   * Default 404 (`NoSuchKey`), which is what AWS S3 returns; 412 gives `PreconditionFailed`.
   */
  ifMatchMissingKeyStatus?: 404 | 412;
}

export interface S3Server {
  /** e.g. `http://127.0.0.1:41234`; use with `forcePathStyle: true`. */
  readonly endpoint: string;
  /** Always `us-east-1` (s3rver only accepts that region in continuation tokens). */
  readonly region: string;
  /** `S3RVER` */
  readonly accessKeyId: string;
  /** `S3RVER` */
  readonly secretAccessKey: string;
  /** Creates a bucket (idempotent); not counted by `requestCount()`. */
  bucket(name: string): Promise<void>;
  /** Kills s3rver and the proxy and deletes all data. */
  stop(): Promise<void>;
  /**
   * Stops s3rver and the proxy (dropping open connections) and starts both again on the same
   * ports with the same data. `downtimeMs` keeps them down that long.
   */
  restart(opts?: { downtimeMs?: number }): Promise<void>;
  /** Requests received by the proxy since start or the last reset (including rejected ones). */
  requestCount(): number;
  resetRequestCount(): void;
}

/**
 * Starts s3rver in a child process (`node --openssl-legacy-provider`) on an internal port, with a
 * layer in this process in front of it on 127.0.0.1 that enforces `If-None-Match: *` / `If-Match`
 * as AWS documents them, serves listings in key order, and counts requests. Test infrastructure
 * only.
 *
 * @example
 * ```ts
 * const s3 = await startS3();
 * await s3.bucket("tasks");
 * const client = new S3Client({
 *   endpoint: s3.endpoint,
 *   region: s3.region,
 *   forcePathStyle: true,
 *   credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
 * });
 * await client.send(new PutObjectCommand({ Bucket: "tasks", Key: "a", Body: "x", IfNoneMatch: "*" }));
 * await s3.stop();
 * ```
 */
export async function startS3(opts: StartS3Options = {}): Promise<S3Server> {
  const silent = opts.silent ?? true;
  const bin = resolvePackageBin("s3rver", "s3rver");
  const dataDir = await makeTempDir("s3");
  let upstreamPort = 0;
  let proxyPort = 0;
  let child: NodeChild | undefined;
  let server: Server | undefined;
  let handler: ReturnType<typeof createS3ProxyHandler> | undefined;
  let count = 0;
  let inFlight = 0;
  let draining = false;

  const launch = async (): Promise<void> => {
    const args = [
      bin,
      "--directory",
      dataDir,
      "--address",
      LOCALHOST,
      "--port",
      String(upstreamPort),
    ];
    if (silent) args.push("--silent");
    child = await spawnNodeChild({
      name: "s3rver",
      nodeArgs: ["--openssl-legacy-provider"],
      args,
      ready: /S3rver listening on [\d.]+:(\d+)/,
      verbose: !silent,
    });
    upstreamPort = Number(child.match[1]);
    await waitForPort(LOCALHOST, upstreamPort);
    handler = createS3ProxyHandler({
      upstreamPort,
      dataDir,
      ifMatchMissingKeyStatus: opts.ifMatchMissingKeyStatus ?? 404,
    });
    const h = handler;
    server = createServer((req, res) => {
      count++;
      if (draining) {
        // The outage has begun: the connection drops, as when the service is unreachable.
        req.socket.destroy();
        return;
      }
      inFlight++;
      res.on("close", () => inFlight--);
      h.handle(req, res);
    });
    proxyPort = await listen(server, proxyPort);
  };

  const halt = async (): Promise<void> => {
    // Requests already being served finish first (up to 5 s): S3 stores an object whole or not
    // at all, while s3rver killed in the middle of a PUT can leave an object it then answers
    // 500 for, forever. New requests meanwhile get a dropped connection.
    draining = true;
    const until = Date.now() + 5_000;
    while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    if (server) await closeServer(server);
    server = undefined;
    handler?.destroy();
    handler = undefined;
    await child?.stop();
    child = undefined;
    inFlight = 0;
    draining = false;
  };

  try {
    await launch();
  } catch (err) {
    await halt();
    await removeDir(dataDir);
    throw err;
  }

  return {
    endpoint: `http://${LOCALHOST}:${proxyPort}`,
    region: "us-east-1",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    bucket: (name) =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: LOCALHOST,
            port: upstreamPort,
            method: "PUT",
            path: `/${encodeURIComponent(name)}`,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const body = Buffer.concat(chunks).toString("utf8");
              if (res.statusCode === 200 || body.includes("BucketAlreadyExists")) resolve();
              else reject(new Error(`creating bucket ${name} failed: ${res.statusCode} ${body}`));
            });
          },
        );
        req.on("error", reject);
        req.end();
      }),
    async stop() {
      await halt();
      await removeDir(dataDir);
    },
    async restart(restartOpts = {}) {
      await halt();
      if (restartOpts.downtimeMs) await new Promise((r) => setTimeout(r, restartOpts.downtimeMs));
      await launch();
    },
    requestCount: () => count,
    resetRequestCount: () => {
      count = 0;
    },
  };
}
