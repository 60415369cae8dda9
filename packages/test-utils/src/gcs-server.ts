import type { IncomingMessage, ServerResponse } from "node:http";
import { handleBatch } from "./gcs-batch.js";
import { readBody } from "./http-util.js";
import { type GcsContext, parseJsonBody, requireBucket, sendError, sendJson } from "./gcs-http.js";
import {
  composeObject,
  copyObject,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
} from "./gcs-objects.js";
import { bucketResource, GcsStore } from "./gcs-store.js";
import { continueUpload, type ResumableSession, startUpload } from "./gcs-upload.js";

export interface GcsHandler {
  readonly store: GcsStore;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

function bucketsRoute(ctx: GcsContext, method: string, body: Buffer): void {
  if (method === "GET") {
    const items = [...ctx.store.buckets.values()].map((b) =>
      bucketResource(b, ctx.baseUrl, ctx.projectNumber),
    );
    sendJson(ctx.res, 200, { kind: "storage#buckets", ...(items.length > 0 ? { items } : {}) });
    return;
  }
  if (method === "POST") {
    const json = parseJsonBody(ctx.res, body);
    if (!json) return;
    const name = typeof json.name === "string" ? json.name : "";
    if (!BUCKET_NAME.test(name)) {
      sendError(ctx.res, 400, "invalid", `Invalid bucket name: '${name}'`);
      return;
    }
    const bucket = ctx.store.createBucket(name);
    if (!bucket) {
      sendError(
        ctx.res,
        409,
        "conflict",
        "Your previous request to create the named bucket succeeded and you already own it.",
      );
      return;
    }
    sendJson(ctx.res, 200, bucketResource(bucket, ctx.baseUrl, ctx.projectNumber));
    return;
  }
  sendError(ctx.res, 405, "methodNotAllowed", `Method ${method} not allowed`);
}

function bucketRoute(ctx: GcsContext, method: string, name: string): void {
  const bucket = requireBucket(ctx, name);
  if (!bucket) return;
  if (method === "GET" || method === "PATCH") {
    sendJson(ctx.res, 200, bucketResource(bucket, ctx.baseUrl, ctx.projectNumber));
  } else if (method === "DELETE") {
    if (bucket.objects.size > 0) {
      sendError(ctx.res, 409, "conflict", "The bucket you tried to delete is not empty.");
      return;
    }
    ctx.store.buckets.delete(name);
    ctx.res.writeHead(204);
    ctx.res.end();
  } else {
    sendError(ctx.res, 405, "methodNotAllowed", `Method ${method} not allowed`);
  }
}

/** Routes `.../b/:bucket/o/<rest>`: an object, or a copy/rewrite/compose on one. */
function objectRoute(
  ctx: GcsContext,
  method: string,
  bucket: string,
  rest: string[],
  body: Buffer,
): void {
  const decode = (parts: string[]): string => decodeURIComponent(parts.join("/"));
  const verbAt = rest.findIndex((p) => p === "rewriteTo" || p === "copyTo");
  if (method === "POST" && verbAt > 0 && rest[verbAt + 1] === "b" && rest[verbAt + 3] === "o") {
    const src = { bucket, name: decode(rest.slice(0, verbAt)) };
    const dst = {
      bucket: decodeURIComponent(rest[verbAt + 2] ?? ""),
      name: decode(rest.slice(verbAt + 4)),
    };
    copyObject(ctx, src, dst, body, rest[verbAt] === "rewriteTo");
    return;
  }
  if (method === "POST" && rest.length > 1 && rest[rest.length - 1] === "compose") {
    composeObject(ctx, bucket, decode(rest.slice(0, -1)), body);
    return;
  }
  const name = decode(rest);
  if (method === "GET") getObject(ctx, bucket, name);
  else if (method === "DELETE") deleteObject(ctx, bucket, name);
  else if (method === "PATCH" || method === "PUT") patchObject(ctx, bucket, name, body);
  else sendError(ctx.res, 405, "methodNotAllowed", `Method ${method} not allowed`);
}

function route(ctx: GcsContext, sessions: Map<string, ResumableSession>, body: Buffer): void {
  const method = (ctx.req.method ?? "GET").toUpperCase();
  const url = new URL(ctx.req.url ?? "/", ctx.baseUrl);
  if (url.pathname === "/batch/storage/v1") {
    // Each part goes through `route` again, with its own request, query and captured response.
    void handleBatch(ctx, body, (req, res, partBody) => {
      const query = new URL(req.url ?? "/", ctx.baseUrl).searchParams;
      try {
        route({ ...ctx, req, res, query }, sessions, partBody);
      } catch (err) {
        if (!(err instanceof URIError)) throw err;
        sendError(res, 400, "invalid", "Malformed URL encoding");
      }
    }).catch((err: unknown) => {
      if (ctx.res.headersSent) ctx.res.destroy();
      else sendError(ctx.res, 500, "backendError", String(err));
    });
    return;
  }
  let segs = url.pathname.split("/").slice(1);
  if (segs[0] === "download") segs = segs.slice(1); // mediaLink form
  const isUpload = segs[0] === "upload";
  if (isUpload) segs = segs.slice(1);
  if (segs[0] !== "storage" || segs[1] !== "v1" || segs[2] !== "b") {
    sendError(
      ctx.res,
      404,
      "notFound",
      `Not supported by this test server: ${method} ${url.pathname}`,
    );
    return;
  }
  const bucket = segs[3] === undefined ? undefined : decodeURIComponent(segs[3]);
  if (isUpload) {
    if (!bucket || segs[4] !== "o" || segs.length !== 5) {
      sendError(ctx.res, 404, "notFound", `Unknown upload path ${url.pathname}`);
    } else if (method === "POST") {
      startUpload(ctx, bucket, body, sessions);
    } else if (method === "PUT" && ctx.query.has("upload_id")) {
      continueUpload(ctx, body, sessions);
    } else if (method === "DELETE" && ctx.query.has("upload_id")) {
      sessions.delete(ctx.query.get("upload_id") ?? "");
      ctx.res.writeHead(499, { "content-length": 0 });
      ctx.res.end();
    } else {
      sendError(ctx.res, 405, "methodNotAllowed", `Method ${method} not allowed`);
    }
    return;
  }
  if (bucket === undefined) bucketsRoute(ctx, method, body);
  else if (segs.length === 4) bucketRoute(ctx, method, bucket);
  else if (segs[4] === "o" && segs.length === 5) {
    if (method === "GET") listObjects(ctx, bucket);
    else sendError(ctx.res, 405, "methodNotAllowed", `Method ${method} not allowed`);
  } else if (segs[4] === "o") objectRoute(ctx, method, bucket, segs.slice(5), body);
  else
    sendError(
      ctx.res,
      404,
      "notFound",
      `Not supported by this test server: ${method} ${url.pathname}`,
    );
}

/**
 * A GCS JSON API test server: buckets, objects, media/multipart/resumable uploads, listing,
 * generation preconditions and batch requests (`POST /batch/storage/v1`), all in memory. Every request is handled after its body is fully read,
 * and checks plus writes happen synchronously, so conditional writes are atomic.
 */
export function createGcsHandler(opts: { projectNumber?: string } = {}): GcsHandler {
  const store = new GcsStore();
  const sessions = new Map<string, ResumableSession>();
  return {
    store,
    handle(req, res) {
      readBody(req)
        .then((body) => {
          const baseUrl = `http://${req.headers.host ?? "127.0.0.1"}`;
          const query = new URL(req.url ?? "/", baseUrl).searchParams;
          const ctx: GcsContext = {
            req,
            res,
            store,
            query,
            baseUrl,
            projectNumber: opts.projectNumber ?? "0",
          };
          try {
            route(ctx, sessions, body);
          } catch (err) {
            if (err instanceof URIError) sendError(res, 400, "invalid", "Malformed URL encoding");
            else throw err;
          }
        })
        .catch((err: unknown) => {
          if (res.headersSent) res.destroy();
          else sendError(res, 500, "backendError", String(err));
        });
    },
  };
}
