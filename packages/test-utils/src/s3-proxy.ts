import { readFile, stat } from "node:fs/promises";
import {
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
} from "node:http";
import { join } from "node:path";
import { decodeAwsChunked, isAwsChunked, stripAwsChunked } from "./aws-chunked.js";
import { LOCALHOST, headerValue, readBody } from "./http-util.js";
import { KeyedRwLock, RwLock } from "./key-lock.js";
import { checkReadConditions, checkWriteConditions, type ObjectState } from "./s3-conditions.js";
import { isListObjectsQuery, serveListObjects } from "./s3-listing.js";
import { sendS3Error } from "./s3-xml.js";

export interface S3ProxyOptions {
  /** Port of the s3rver child on 127.0.0.1. */
  upstreamPort: number;
  /** s3rver's data directory (read directly for listings). */
  dataDir: string;
  /** Status for If-Match on a missing key: 404 NoSuchKey (what AWS returns) or 412. */
  ifMatchMissingKeyStatus: 404 | 412;
}

export interface S3ProxyHandler {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Drops pooled upstream connections. */
  destroy(): void;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "expect",
]);

/** Object subresources that are not plain reads/writes of the object's content. */
const OBJECT_SUBRESOURCES = [
  "uploadId",
  "partNumber",
  "uploads",
  "tagging",
  "acl",
  "retention",
  "legal-hold",
  "torrent",
  "restore",
  "select",
  "attributes",
];

function hasAny(query: URLSearchParams, names: readonly string[]): boolean {
  return names.some((n) => query.has(n));
}

function copyRequestHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/**
 * The conditional-write layer in front of s3rver: enforces If-Match / If-None-Match on PUT,
 * CompleteMultipartUpload, DELETE, GET and HEAD, serves ListObjects itself, decodes aws-chunked
 * bodies, and makes each object operation atomic with a per-key readers-writer lock.
 */
export function createS3ProxyHandler(opts: S3ProxyOptions): S3ProxyHandler {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const keyLocks = new KeyedRwLock();
  /**
   * s3rver deletes empty key directories after a DELETE, which races with a PUT creating a file in
   * that directory. PUTs share this lock; DELETEs take it exclusively.
   */
  const namespace = new RwLock();

  const upstream = (
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    body?: Buffer,
  ): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: LOCALHOST, port: opts.upstreamPort, method, path, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  const send = (res: ServerResponse, method: string, reply: Reply): void => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(reply.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    if (method !== "HEAD") headers["content-length"] = reply.body.length;
    res.writeHead(reply.status, headers);
    res.end(method === "HEAD" ? undefined : reply.body);
  };

  /** Current ETag of an object, or undefined if it does not exist. */
  const currentEtag = async (path: string): Promise<ObjectState | undefined> => {
    const r = await upstream("HEAD", path, {});
    if (r.status === 200) return { exists: true, etag: r.headers.etag };
    return r.status === 404 ? { exists: false } : undefined;
  };

  const bucketExists = async (bucket: string): Promise<boolean> => {
    try {
      return (await stat(join(opts.dataDir, bucket))).isDirectory();
    } catch {
      return false;
    }
  };

  /** Sends a failure and returns true if a write precondition does not hold. */
  const failedWritePrecondition = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    bucket: string,
    key: string,
    path: string,
  ): Promise<boolean> => {
    const ifMatch = headerValue(req, "if-match");
    const ifNoneMatch = method === "DELETE" ? undefined : headerValue(req, "if-none-match");
    if (ifMatch === undefined && ifNoneMatch === undefined) return false;
    const state = await currentEtag(path);
    if (!state) return false; // let s3rver report whatever is wrong
    if (!state.exists && !(await bucketExists(bucket))) return false; // s3rver: NoSuchBucket
    const failure = checkWriteConditions(
      state,
      ifMatch,
      ifNoneMatch,
      key,
      opts.ifMatchMissingKeyStatus,
    );
    if (!failure) return false;
    sendS3Error(res, method, failure.status, failure.code, failure.message, failure.extra);
    return true;
  };

  /** Buffers the body, decoding aws-chunked framing, and returns headers to forward with it. */
  const bufferedBody = async (
    req: IncomingMessage,
  ): Promise<{ headers: OutgoingHttpHeaders; body: Buffer }> => {
    let body = await readBody(req);
    const headers = copyRequestHeaders(req.headers);
    if (isAwsChunked(headerValue(req, "content-encoding"))) {
      body = decodeAwsChunked(body);
      const rest = stripAwsChunked(headerValue(req, "content-encoding"));
      if (rest === undefined) delete headers["content-encoding"];
      else headers["content-encoding"] = rest;
      delete headers["x-amz-decoded-content-length"];
      delete headers["x-amz-trailer"];
      headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
    }
    headers["content-length"] = body.length;
    return { headers, body };
  };

  /**
   * s3rver 3.7 answers a PutObject before its file write has finished (`writeStream.end()` and
   * resolve, without waiting for `finish`), so a GET right after the reply could read a
   * truncated object, which real S3 never serves. Until the file holds the body, the reply
   * (and the key's write lock) waits: "acknowledged" means "readable", as on S3.
   */
  const untilStored = async (bucket: string, key: string, body: Buffer): Promise<void> => {
    const file = join(opts.dataDir, bucket, `${key}._S3rver_object`);
    const deadline = Date.now() + 5_000;
    for (let wait = 0; Date.now() < deadline; wait++) {
      const stored = await readFile(file).catch(() => undefined);
      if (stored?.equals(body)) return;
      await new Promise((r) => setTimeout(r, Math.min(10, wait)));
    }
  };

  const objectWrite = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    bucket: string,
    key: string,
    path: string,
  ): Promise<void> => {
    const { headers, body } = await bufferedBody(req);
    const isDelete = method === "DELETE";
    await namespace.run(isDelete, () =>
      keyLocks.run(`${bucket}/${key}`, true, async () => {
        if (await failedWritePrecondition(req, res, method, bucket, key, path)) return;
        const reply = await upstream(method, req.url ?? "/", headers, body);
        if (method === "PUT" && reply.status === 200) await untilStored(bucket, key, body);
        send(res, method, reply);
      }),
    );
  };

  const objectRead = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    bucket: string,
    key: string,
    path: string,
  ): Promise<void> => {
    req.resume();
    const headers = copyRequestHeaders(req.headers);
    const ifMatch = headerValue(req, "if-match");
    const ifNoneMatch = headerValue(req, "if-none-match");
    delete headers["if-match"];
    delete headers["if-none-match"];
    await keyLocks.run(`${bucket}/${key}`, false, async () => {
      if (ifMatch !== undefined || ifNoneMatch !== undefined) {
        const state = await currentEtag(path);
        const outcome = state && checkReadConditions(state, ifMatch, ifNoneMatch);
        if (outcome === 412) {
          sendS3Error(
            res,
            method,
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            { Condition: "If-Match" },
          );
          return;
        }
        if (outcome === 304) {
          res.writeHead(304, state?.etag ? { etag: state.etag } : {});
          res.end();
          return;
        }
      }
      send(res, method, await upstream(method, req.url ?? "/", headers));
    });
  };

  /** Forwards without locking; bodies are streamed unless they need aws-chunked decoding. */
  const passThrough = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
  ): Promise<void> => {
    if (isAwsChunked(headerValue(req, "content-encoding"))) {
      const { headers, body } = await bufferedBody(req);
      send(res, method, await upstream(method, req.url ?? "/", headers, body));
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const up = request(
        {
          host: LOCALHOST,
          port: opts.upstreamPort,
          method,
          path: req.url ?? "/",
          headers: copyRequestHeaders(req.headers),
          agent,
        },
        (upRes) => {
          const headers: OutgoingHttpHeaders = {};
          for (const [name, value] of Object.entries(upRes.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
          }
          res.writeHead(upRes.statusCode ?? 502, headers);
          upRes.pipe(res);
          upRes.on("end", resolve);
          upRes.on("error", reject);
        },
      );
      up.on("error", reject);
      req.pipe(up);
    });
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://proxy");
    const segments = url.pathname.split("/");
    let bucket: string;
    let key: string;
    try {
      bucket = decodeURIComponent(segments[1] ?? "");
      key = decodeURIComponent(segments.slice(2).join("/"));
    } catch {
      await passThrough(req, res, method);
      return;
    }
    const query = url.searchParams;
    const objectPath = url.pathname;

    if (bucket && !key) {
      if (
        (method === "GET" || method === "HEAD") &&
        isListObjectsQuery(query) &&
        (await bucketExists(bucket))
      ) {
        req.resume();
        await serveListObjects(res, method, opts.dataDir, bucket, query);
        return;
      }
      if (method === "POST" && query.has("delete")) {
        const { headers, body } = await bufferedBody(req);
        await namespace.run(true, async () =>
          send(res, method, await upstream(method, req.url ?? "/", headers, body)),
        );
        return;
      }
    }
    if (bucket && key) {
      const plain = !hasAny(query, OBJECT_SUBRESOURCES);
      if ((method === "PUT" || method === "DELETE") && plain) {
        await objectWrite(req, res, method, bucket, key, objectPath);
        return;
      }
      if (method === "POST" && query.has("uploadId")) {
        await objectWrite(req, res, method, bucket, key, objectPath); // CompleteMultipartUpload
        return;
      }
      if ((method === "GET" || method === "HEAD") && plain) {
        await objectRead(req, res, method, bucket, key, objectPath);
        return;
      }
    }
    await passThrough(req, res, method);
  };

  return {
    handle(req, res) {
      route(req, res).catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ECONNREFUSED" || code === "ECONNRESET") {
          sendS3Error(res, req.method, 503, "ServiceUnavailable", "s3rver is not reachable");
        } else {
          sendS3Error(res, req.method, 500, "InternalError", String(err));
        }
      });
    },
    destroy: () => agent.destroy(),
  };
}
