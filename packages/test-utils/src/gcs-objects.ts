import type { OutgoingHttpHeaders } from "node:http";
import {
  type GcsContext,
  noSuchObject,
  parseJsonBody,
  preconditionFailed,
  requireBucket,
  sendError,
  sendJson,
} from "./gcs-http.js";
import {
  compareNames,
  type GcsObject,
  type GcsObjectFields,
  objectFields,
  objectResource,
  type Preconditions,
  parsePreconditions,
  pickFields,
  preconditionsHold,
} from "./gcs-store.js";

/** Preconditions from the query, or undefined after sending 400. */
export function queryPreconditions(ctx: GcsContext, prefix = ""): Preconditions | undefined {
  const p = parsePreconditions(ctx.query, prefix);
  if (typeof p === "string") {
    sendError(ctx.res, 400, "invalid", p);
    return undefined;
  }
  return p;
}

/** The live object (optionally of the `generation` given in the query), or sends 404. */
function liveObject(ctx: GcsContext, bucketName: string, name: string): GcsObject | undefined {
  const bucket = requireBucket(ctx, bucketName);
  if (!bucket) return undefined;
  const obj = bucket.objects.get(name);
  const gen = ctx.query.get("generation");
  if (!obj || (gen !== null && String(obj.generation) !== gen)) {
    noSuchObject(ctx.res, bucketName, name);
    return undefined;
  }
  return obj;
}

/** GET object metadata, or its content with `alt=media`. */
export function getObject(ctx: GcsContext, bucketName: string, name: string): void {
  const obj = liveObject(ctx, bucketName, name);
  if (!obj) return;
  const p = queryPreconditions(ctx);
  if (!p) return;
  // On reads, failing a *NotMatch condition means "not modified".
  if (
    !preconditionsHold(obj, {
      ifGenerationMatch: p.ifGenerationMatch,
      ifMetagenerationMatch: p.ifMetagenerationMatch,
    })
  ) {
    preconditionFailed(ctx.res);
    return;
  }
  if (
    !preconditionsHold(obj, {
      ifGenerationNotMatch: p.ifGenerationNotMatch,
      ifMetagenerationNotMatch: p.ifMetagenerationNotMatch,
    })
  ) {
    ctx.res.writeHead(304);
    ctx.res.end();
    return;
  }
  if (ctx.query.get("alt") !== "media") {
    sendJson(ctx.res, 200, objectResource(obj, ctx.baseUrl));
    return;
  }
  const headers: OutgoingHttpHeaders = {
    "content-type": obj.contentType,
    "x-goog-hash": `crc32c=${obj.crc32c},md5=${obj.md5Hash}`,
    "x-goog-generation": String(obj.generation),
    "x-goog-metageneration": String(obj.metageneration),
    "x-goog-stored-content-length": String(obj.data.length),
    "x-goog-stored-content-encoding": obj.contentEncoding ?? "identity",
    etag: `"${obj.md5Hash}"`,
    "last-modified": new Date(obj.updated).toUTCString(),
    "accept-ranges": "bytes",
  };
  if (obj.contentEncoding) headers["content-encoding"] = obj.contentEncoding;
  if (obj.contentDisposition) headers["content-disposition"] = obj.contentDisposition;
  if (obj.cacheControl) headers["cache-control"] = obj.cacheControl;
  const size = obj.data.length;
  const range = /^bytes=(\d*)-(\d*)$/.exec(ctx.req.headers.range ?? "");
  if (range && (range[1] || range[2])) {
    let start: number;
    let end: number;
    if (range[1]) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    } else {
      start = Math.max(0, size - Number(range[2]));
      end = size - 1;
    }
    if (start >= size || end < start) {
      ctx.res.writeHead(416, { "content-range": `bytes */${size}` });
      ctx.res.end();
      return;
    }
    headers["content-range"] = `bytes ${start}-${end}/${size}`;
    headers["content-length"] = end - start + 1;
    ctx.res.writeHead(206, headers);
    ctx.res.end(obj.data.subarray(start, end + 1));
    return;
  }
  headers["content-length"] = size;
  ctx.res.writeHead(200, headers);
  ctx.res.end(obj.data);
}

/** DELETE object. */
export function deleteObject(ctx: GcsContext, bucketName: string, name: string): void {
  const obj = liveObject(ctx, bucketName, name);
  if (!obj) return;
  const p = queryPreconditions(ctx);
  if (!p) return;
  if (!preconditionsHold(obj, p)) {
    preconditionFailed(ctx.res);
    return;
  }
  ctx.store.buckets.get(bucketName)?.objects.delete(name);
  ctx.res.writeHead(204);
  ctx.res.end();
}

/** PATCH (or PUT) object metadata; bumps metageneration. */
export function patchObject(ctx: GcsContext, bucketName: string, name: string, body: Buffer): void {
  const json = parseJsonBody(ctx.res, body);
  if (!json) return;
  const obj = liveObject(ctx, bucketName, name);
  if (!obj) return;
  const p = queryPreconditions(ctx);
  if (!p) return;
  if (!preconditionsHold(obj, p)) {
    preconditionFailed(ctx.res);
    return;
  }
  const fields = pickFields(json);
  const { metadata, ...rest } = fields;
  Object.assign(obj, rest);
  if (json.metadata === null) {
    delete obj.metadata;
  } else if (metadata) {
    const merged: Record<string, string> = { ...obj.metadata, ...metadata };
    const patch = json.metadata as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) if (v === null) delete merged[k];
    obj.metadata = merged;
  }
  obj.metageneration++;
  obj.updated = new Date().toISOString();
  sendJson(ctx.res, 200, objectResource(obj, ctx.baseUrl));
}

interface ListCursor {
  after: string;
  isPrefix: boolean;
}

/** GET /storage/v1/b/:bucket/o — lexicographic, with prefix, delimiter, maxResults, pageToken. */
export function listObjects(ctx: GcsContext, bucketName: string): void {
  const bucket = requireBucket(ctx, bucketName);
  if (!bucket) return;
  const q = ctx.query;
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") ?? "";
  const startOffset = q.get("startOffset") ?? "";
  const endOffset = q.get("endOffset") ?? "";
  const includeTrailing = q.get("includeTrailingDelimiter") === "true";
  const rawMax = q.get("maxResults");
  const max = rawMax === null ? 1000 : Math.min(Number(rawMax), 1000);
  if (!Number.isInteger(max) || max < 1) {
    sendError(ctx.res, 400, "invalid", `Invalid value for maxResults: ${rawMax}`);
    return;
  }
  let cursor: ListCursor | undefined;
  const token = q.get("pageToken");
  if (token) {
    try {
      const v: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
      if (Array.isArray(v) && typeof v[0] === "string" && typeof v[1] === "boolean") {
        cursor = { after: v[0], isPrefix: v[1] };
      }
    } catch {
      // handled below
    }
    if (!cursor) {
      sendError(ctx.res, 400, "invalid", "Invalid page token");
      return;
    }
  }

  const names = [...bucket.objects.keys()].sort(compareNames);
  const items: GcsObject[] = [];
  const prefixes: string[] = [];
  let entries = 0;
  let last: ListCursor | undefined;
  let truncated = false;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    if (startOffset && compareNames(name, startOffset) < 0) continue;
    if (endOffset && compareNames(name, endOffset) >= 0) continue;
    if (
      cursor &&
      (compareNames(name, cursor.after) <= 0 || (cursor.isPrefix && name.startsWith(cursor.after)))
    ) {
      continue;
    }
    const idx = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
    if (idx >= 0) {
      const common = name.slice(0, idx + delimiter.length);
      const trailing = includeTrailing && common === name;
      if (last?.isPrefix && last.after === common) {
        if (trailing) items.push(bucket.objects.get(name) as GcsObject);
        continue;
      }
      if (entries >= max) {
        truncated = true;
        break;
      }
      prefixes.push(common);
      if (trailing) items.push(bucket.objects.get(name) as GcsObject);
      entries++;
      last = { after: common, isPrefix: true };
      continue;
    }
    if (entries >= max) {
      truncated = true;
      break;
    }
    items.push(bucket.objects.get(name) as GcsObject);
    entries++;
    last = { after: name, isPrefix: false };
  }
  const body: Record<string, unknown> = { kind: "storage#objects" };
  if (prefixes.length > 0) body.prefixes = prefixes;
  if (items.length > 0) body.items = items.map((o) => objectResource(o, ctx.baseUrl));
  if (truncated && last) {
    body.nextPageToken = Buffer.from(JSON.stringify([last.after, last.isPrefix]), "utf8").toString(
      "base64url",
    );
  }
  sendJson(ctx.res, 200, body);
}

/**
 * POST .../o/:src/rewriteTo/b/:dstBucket/o/:dst and .../copyTo/... — copies in one step.
 * Destination preconditions: ifGenerationMatch & co.; source: ifSourceGenerationMatch & co.
 */
export function copyObject(
  ctx: GcsContext,
  src: { bucket: string; name: string },
  dst: { bucket: string; name: string },
  body: Buffer,
  rewrite: boolean,
): void {
  const json = parseJsonBody(ctx.res, body);
  if (!json) return;
  const srcObj = liveObject(ctx, src.bucket, src.name);
  if (!srcObj) return;
  const dstBucket = requireBucket(ctx, dst.bucket);
  if (!dstBucket) return;
  const srcP = queryPreconditions(ctx, "Source");
  const dstP = queryPreconditions(ctx);
  if (!srcP || !dstP) return;
  if (
    !preconditionsHold(srcObj, srcP) ||
    !preconditionsHold(dstBucket.objects.get(dst.name), dstP)
  ) {
    preconditionFailed(ctx.res);
    return;
  }
  // The copy keeps the source's fields; ones given in the request body replace them.
  const fields: GcsObjectFields = { ...objectFields(srcObj), ...pickFields(json) };
  const obj = ctx.store.write(dstBucket, dst.name, srcObj.data, fields);
  const resource = objectResource(obj, ctx.baseUrl);
  if (!rewrite) {
    sendJson(ctx.res, 200, resource);
    return;
  }
  sendJson(ctx.res, 200, {
    kind: "storage#rewriteResponse",
    totalBytesRewritten: String(obj.data.length),
    objectSize: String(obj.data.length),
    done: true,
    resource,
  });
}

/** POST .../o/:dst/compose — concatenates source objects of the same bucket. */
export function composeObject(
  ctx: GcsContext,
  bucketName: string,
  name: string,
  body: Buffer,
): void {
  const json = parseJsonBody(ctx.res, body);
  if (!json) return;
  const bucket = requireBucket(ctx, bucketName);
  if (!bucket) return;
  const p = queryPreconditions(ctx);
  if (!p) return;
  const sources = Array.isArray(json.sourceObjects) ? (json.sourceObjects as unknown[]) : [];
  const chunks: Buffer[] = [];
  for (const s of sources) {
    const src = s as {
      name?: unknown;
      generation?: unknown;
      objectPreconditions?: { ifGenerationMatch?: unknown };
    };
    const obj = typeof src.name === "string" ? bucket.objects.get(src.name) : undefined;
    if (
      !obj ||
      (src.generation !== undefined && String(src.generation) !== String(obj.generation))
    ) {
      noSuchObject(ctx.res, bucketName, String(src.name));
      return;
    }
    const want = src.objectPreconditions?.ifGenerationMatch;
    if (want !== undefined && String(want) !== String(obj.generation)) {
      preconditionFailed(ctx.res);
      return;
    }
    chunks.push(obj.data);
  }
  if (!preconditionsHold(bucket.objects.get(name), p)) {
    preconditionFailed(ctx.res);
    return;
  }
  const dest =
    json.destination && typeof json.destination === "object"
      ? (json.destination as Record<string, unknown>)
      : {};
  const obj = ctx.store.write(bucket, name, Buffer.concat(chunks), pickFields(dest));
  sendJson(ctx.res, 200, objectResource(obj, ctx.baseUrl));
}
