import { createHash, randomUUID } from "node:crypto";
import { crc32cBase64 } from "./crc32c.js";
import {
  type GcsContext,
  parseJsonBody,
  preconditionFailed,
  requireBucket,
  sendError,
  sendJson,
} from "./gcs-http.js";
import { multipartBoundary, parseMultipart } from "./gcs-multipart.js";
import { queryPreconditions } from "./gcs-objects.js";
import {
  type GcsObjectFields,
  objectResource,
  type Preconditions,
  pickFields,
  preconditionsHold,
} from "./gcs-store.js";

/** An open resumable upload session. */
export interface ResumableSession {
  bucket: string;
  name: string;
  fields: GcsObjectFields;
  preconditions: Preconditions;
  chunks: Buffer[];
  received: number;
}

/** Hashes the client sent (metadata fields or an X-Goog-Hash header) that must match the data. */
interface ExpectedHashes {
  md5?: string | undefined;
  crc32c?: string | undefined;
}

function parseGoogHash(header: string | string[] | undefined): ExpectedHashes {
  const out: ExpectedHashes = {};
  for (const pair of (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    const k = pair.slice(0, eq).trim();
    const v = pair.slice(eq + 1).trim();
    if (k === "md5") out.md5 = v;
    if (k === "crc32c") out.crc32c = v;
  }
  return out;
}

/**
 * Checks hashes and preconditions, then writes — synchronously, so check-and-write is atomic.
 * Sends the response either way.
 */
function commit(
  ctx: GcsContext,
  bucketName: string,
  name: string,
  data: Buffer,
  fields: GcsObjectFields,
  preconditions: Preconditions,
  expected: ExpectedHashes,
): void {
  const bucket = requireBucket(ctx, bucketName);
  if (!bucket) return;
  if (expected.md5 && expected.md5 !== createHash("md5").update(data).digest("base64")) {
    sendError(ctx.res, 400, "invalid", "Provided MD5 hash doesn't match calculated MD5 hash.");
    return;
  }
  if (expected.crc32c && expected.crc32c !== crc32cBase64(data)) {
    sendError(ctx.res, 400, "invalid", "Provided CRC32C doesn't match calculated CRC32C.");
    return;
  }
  if (!preconditionsHold(bucket.objects.get(name), preconditions)) {
    preconditionFailed(ctx.res);
    return;
  }
  const obj = ctx.store.write(bucket, name, data, fields);
  sendJson(ctx.res, 200, objectResource(obj, ctx.baseUrl));
}

/** POST /upload/storage/v1/b/:bucket/o?uploadType=media|multipart|resumable */
export function startUpload(
  ctx: GcsContext,
  bucketName: string,
  body: Buffer,
  sessions: Map<string, ResumableSession>,
): void {
  if (!requireBucket(ctx, bucketName)) return;
  const p = queryPreconditions(ctx);
  if (!p) return;
  const uploadType = ctx.query.get("uploadType") ?? "media";
  const queryName = ctx.query.get("name");
  const contentType = ctx.req.headers["content-type"];

  if (uploadType === "media") {
    if (!queryName) {
      sendError(ctx.res, 400, "required", "Required parameter: name");
      return;
    }
    const fields: GcsObjectFields = contentType ? { contentType } : {};
    commit(ctx, bucketName, queryName, body, fields, p, {});
    return;
  }

  if (uploadType === "multipart") {
    const boundary = multipartBoundary(contentType);
    const parts = boundary ? parseMultipart(body, boundary) : [];
    const [metaPart, mediaPart] = parts;
    if (!metaPart || !mediaPart) {
      sendError(ctx.res, 400, "invalid", "Multipart upload needs a metadata part and a media part");
      return;
    }
    const json = parseJsonBody(ctx.res, metaPart.body);
    if (!json) return;
    const name = queryName ?? (typeof json.name === "string" ? json.name : undefined);
    if (!name) {
      sendError(ctx.res, 400, "required", "Required parameter: name");
      return;
    }
    const fields = pickFields(json);
    fields.contentType ??= mediaPart.headers["content-type"];
    const expected: ExpectedHashes = {
      md5: typeof json.md5Hash === "string" ? json.md5Hash : undefined,
      crc32c: typeof json.crc32c === "string" ? json.crc32c : undefined,
    };
    commit(ctx, bucketName, name, mediaPart.body, fields, p, expected);
    return;
  }

  if (uploadType === "resumable") {
    const json = parseJsonBody(ctx.res, body);
    if (!json) return;
    const name = queryName ?? (typeof json.name === "string" ? json.name : undefined);
    if (!name) {
      sendError(ctx.res, 400, "required", "Required parameter: name");
      return;
    }
    // Checked here for an early answer, and again when the upload completes.
    if (!preconditionsHold(ctx.store.buckets.get(bucketName)?.objects.get(name), p)) {
      preconditionFailed(ctx.res);
      return;
    }
    const fields = pickFields(json);
    const xType = ctx.req.headers["x-upload-content-type"];
    if (typeof xType === "string") fields.contentType ??= xType;
    const id = randomUUID();
    sessions.set(id, {
      bucket: bucketName,
      name,
      fields,
      preconditions: p,
      chunks: [],
      received: 0,
    });
    const location = `${ctx.baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucketName)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
    ctx.res.writeHead(200, { location, "x-guploader-uploadid": id, "content-length": 0 });
    ctx.res.end();
    return;
  }

  sendError(ctx.res, 400, "invalid", `Unsupported uploadType: ${uploadType}`);
}

/** 308 "Resume Incomplete" with the persisted range. */
function incomplete(ctx: GcsContext, received: number): void {
  const headers: Record<string, string | number> = { "content-length": 0 };
  if (received > 0) headers.range = `bytes=0-${received - 1}`;
  ctx.res.writeHead(308, headers);
  ctx.res.end();
}

/**
 * PUT <session URI> with `Content-Range: bytes a-b/total`, `bytes a-*\/*` (rest of the data in
 * this request) or `bytes *\/total` (status query). Completes when all bytes have arrived.
 */
export function continueUpload(
  ctx: GcsContext,
  body: Buffer,
  sessions: Map<string, ResumableSession>,
): void {
  const id = ctx.query.get("upload_id") ?? "";
  const s = sessions.get(id);
  if (!s) {
    sendError(ctx.res, 404, "notFound", "No such upload session");
    return;
  }
  const header = ctx.req.headers["content-range"]?.trim();
  let start = s.received;
  let total: number | undefined;
  // No Content-Range, or `bytes a-*/*`: this request carries all remaining data.
  let rest = header === undefined;
  if (header !== undefined) {
    const m = /^bytes (?:(\d+)-(\d+|\*)|\*)\/(\d+|\*)$/.exec(header);
    if (!m) {
      sendError(ctx.res, 400, "invalid", `Invalid Content-Range: ${header}`);
      return;
    }
    if (m[1] !== undefined) start = Number(m[1]);
    if (m[3] !== "*") total = Number(m[3]);
    rest = m[1] !== undefined && m[2] === "*" && m[3] === "*";
  }
  if (body.length > 0) {
    if (start > s.received) {
      sendError(
        ctx.res,
        400,
        "invalid",
        `Upload gap: have ${s.received} bytes, chunk starts at ${start}`,
      );
      return;
    }
    const fresh = body.subarray(s.received - start); // drop bytes already persisted
    s.chunks.push(fresh);
    s.received += fresh.length;
  }
  if (!rest && (total === undefined || s.received < total)) {
    incomplete(ctx, s.received);
    return;
  }
  sessions.delete(id);
  commit(
    ctx,
    s.bucket,
    s.name,
    Buffer.concat(s.chunks),
    s.fields,
    s.preconditions,
    parseGoogHash(ctx.req.headers["x-goog-hash"]),
  );
}
