import { createHash } from "node:crypto";
import type { Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { join, relative, sep } from "node:path";
import { escapeXml, sendS3Error, XML_DECL } from "./s3-xml.js";

/**
 * ListObjects (V1 and V2) served from s3rver's data directory, because s3rver's own listing
 * walks directories in file-name order rather than key order (e.g. it lists `a/b` before `a-c`
 * and `a-b` before `a`), so its pages are out of order and its continuation tokens skip keys.
 */

const OBJECT_SUFFIX = "._S3rver_object";
const UPLOADS_DIR = "._S3rver_uploads";

/** Query parameters that make a bucket GET a ListObjects call rather than a subresource call. */
const LIST_PARAMS = new Set([
  "list-type",
  "prefix",
  "delimiter",
  "max-keys",
  "continuation-token",
  "start-after",
  "fetch-owner",
  "encoding-type",
  "marker",
  "x-id",
]);

export function isListObjectsQuery(query: URLSearchParams): boolean {
  for (const name of query.keys()) if (!LIST_PARAMS.has(name)) return false;
  return true;
}

/** S3 orders keys by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * The bucket's keys under `prefix`, sorted. Only the directory holding the prefix's last `/` is
 * walked (a key `a/b/c` is the file `a/b/c._S3rver_object`), so listing one queue's
 * `pending/` does not read every object of the bucket.
 */
async function listKeys(bucketDir: string, prefix: string): Promise<string[]> {
  let dirKey = prefix.slice(0, prefix.lastIndexOf("/") + 1);
  // A prefix with an empty, "." or ".." segment is matched by walking the whole bucket.
  if (
    dirKey
      .slice(0, -1)
      .split("/")
      .some((seg) => seg === "" || seg === "." || seg === "..")
  )
    dirKey = "";
  const root = dirKey === "" ? bucketDir : join(bucketDir, ...dirKey.slice(0, -1).split("/"));
  const keys: string[] = [];
  for (const e of await walk(root)) {
    if (!e.isFile() || !e.name.endsWith(OBJECT_SUFFIX)) continue;
    const rel = dirKey + relative(root, join(e.parentPath, e.name)).split(sep).join("/");
    if (rel.startsWith(`${UPLOADS_DIR}/`)) continue;
    keys.push(rel.slice(0, -OBJECT_SUFFIX.length));
  }
  return keys.sort(compareKeys);
}

/**
 * Every entry below `dir`. A directory that is gone by the time it is read is skipped: s3rver
 * removes a directory once its last object is deleted, so it held no object when it went.
 * (`readdir` with `recursive: true` fails as a whole in that case, and the listing was once
 * served as empty when a delete emptied one time-bucket directory mid-walk, while hundreds
 * of objects sat in the others.)
 */
async function walk(dir: string): Promise<Dirent[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw err;
  }
  const out: Dirent[] = [];
  for (const e of entries) {
    if (e.isDirectory()) for (const sub of await walk(join(dir, e.name))) out.push(sub);
    else out.push(e);
  }
  return out;
}

interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
}

async function objectInfo(bucketDir: string, key: string): Promise<ObjectInfo | undefined> {
  const file = join(bucketDir, `${key}${OBJECT_SUFFIX}`);
  try {
    const st = await stat(file);
    let md5: string;
    try {
      md5 = (await readFile(`${file}.md5`, "utf8")).trim();
    } catch {
      md5 = createHash("md5")
        .update(await readFile(file))
        .digest("hex");
    }
    return { key, size: st.size, lastModified: st.mtime, etag: `"${md5}"` };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // deleted meanwhile
    throw err;
  }
}

interface Cursor {
  /** Last key or common prefix returned. */
  after: string;
  /** Whether `after` is a common prefix (then every key under it is skipped). */
  isPrefix: boolean;
}

function encodeToken(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.after, c.isPrefix]), "utf8").toString("base64");
}

function decodeToken(token: string): Cursor | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
    if (Array.isArray(v) && typeof v[0] === "string" && typeof v[1] === "boolean") {
      return { after: v[0], isPrefix: v[1] };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** Serves ListObjectsV2 (`list-type=2`) or ListObjects (V1) for `bucket` stored under `dataDir`. */
export async function serveListObjects(
  res: ServerResponse,
  method: string,
  dataDir: string,
  bucket: string,
  query: URLSearchParams,
): Promise<void> {
  const v2 = query.get("list-type") === "2";
  const prefix = query.get("prefix") ?? "";
  const delimiter = query.get("delimiter") ?? "";
  const urlEncode = query.get("encoding-type") === "url";
  const rawMax = query.get("max-keys");
  const maxKeys = rawMax === null ? 1000 : Number(rawMax);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    sendS3Error(
      res,
      method,
      400,
      "InvalidArgument",
      "Provided max-keys not an integer or within integer range",
    );
    return;
  }
  const limit = Math.min(maxKeys, 1000);

  let cursor: Cursor | undefined;
  const token = v2 ? query.get("continuation-token") : null;
  if (token) {
    cursor = decodeToken(token);
    if (!cursor) {
      sendS3Error(
        res,
        method,
        400,
        "InvalidArgument",
        "The continuation token provided is incorrect",
      );
      return;
    }
  } else {
    const start = v2 ? query.get("start-after") : query.get("marker");
    // A V1 marker that is a common prefix skips everything under it, as S3 does.
    if (start)
      cursor = { after: start, isPrefix: !v2 && delimiter !== "" && start.endsWith(delimiter) };
  }

  const bucketDir = join(dataDir, bucket);
  const keys: string[] = [];
  const prefixes: string[] = [];
  let last: Cursor | undefined;
  let truncated = false;
  for (const key of await listKeys(bucketDir, prefix)) {
    if (!key.startsWith(prefix)) continue;
    if (cursor) {
      if (compareKeys(key, cursor.after) <= 0) continue;
      if (cursor.isPrefix && key.startsWith(cursor.after)) continue;
    }
    const idx = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (idx >= 0) {
      const common = key.slice(0, idx + delimiter.length);
      if (last?.isPrefix && last.after === common) continue;
      if (keys.length + prefixes.length >= limit) {
        truncated = true;
        break;
      }
      prefixes.push(common);
      last = { after: common, isPrefix: true };
      continue;
    }
    if (keys.length + prefixes.length >= limit) {
      truncated = true;
      break;
    }
    keys.push(key);
    last = { after: key, isPrefix: false };
  }

  const infos = (await Promise.all(keys.map((k) => objectInfo(bucketDir, k)))).filter(
    (i): i is ObjectInfo => i !== undefined,
  );
  const enc = (s: string): string =>
    escapeXml(urlEncode ? encodeURIComponent(s).replace(/%2F/g, "/") : s);
  const owner =
    v2 && query.get("fetch-owner") !== "true"
      ? ""
      : "<Owner><ID>123456789000</ID><DisplayName>S3rver</DisplayName></Owner>";
  const parts: string[] = [
    `${XML_DECL}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
    `<Name>${escapeXml(bucket)}</Name><Prefix>${enc(prefix)}</Prefix>`,
    `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>`,
  ];
  if (delimiter) parts.push(`<Delimiter>${enc(delimiter)}</Delimiter>`);
  if (urlEncode) parts.push("<EncodingType>url</EncodingType>");
  if (v2) {
    parts.push(`<KeyCount>${infos.length + prefixes.length}</KeyCount>`);
    if (token) parts.push(`<ContinuationToken>${escapeXml(token)}</ContinuationToken>`);
    const startAfter = query.get("start-after");
    if (startAfter) parts.push(`<StartAfter>${enc(startAfter)}</StartAfter>`);
    if (truncated && last) {
      parts.push(`<NextContinuationToken>${escapeXml(encodeToken(last))}</NextContinuationToken>`);
    }
  } else {
    parts.push(`<Marker>${enc(query.get("marker") ?? "")}</Marker>`);
    if (truncated && last) parts.push(`<NextMarker>${enc(last.after)}</NextMarker>`);
  }
  for (const i of infos) {
    parts.push(
      `<Contents><Key>${enc(i.key)}</Key><LastModified>${i.lastModified.toISOString()}</LastModified>` +
        `<ETag>${escapeXml(i.etag)}</ETag><Size>${i.size}</Size>${owner}<StorageClass>STANDARD</StorageClass></Contents>`,
    );
  }
  for (const p of prefixes)
    parts.push(`<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`);
  parts.push("</ListBucketResult>");
  const body = parts.join("");
  res.writeHead(200, {
    "content-type": "application/xml",
    "content-length": method === "HEAD" ? 0 : Buffer.byteLength(body),
  });
  res.end(method === "HEAD" ? undefined : body);
}
