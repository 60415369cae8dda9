import { createHash } from "node:crypto";
import { crc32cBase64 } from "./crc32c.js";

/** Optional object fields a client may set (JSON API names). */
export interface GcsObjectFields {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
}

export interface GcsObject extends GcsObjectFields {
  bucket: string;
  name: string;
  data: Buffer;
  generation: number;
  metageneration: number;
  md5Hash: string;
  crc32c: string;
  timeCreated: string;
  updated: string;
}

export interface GcsBucket {
  name: string;
  timeCreated: string;
  objects: Map<string, GcsObject>;
}

export interface Preconditions {
  ifGenerationMatch?: number;
  ifGenerationNotMatch?: number;
  ifMetagenerationMatch?: number;
  ifMetagenerationNotMatch?: number;
}

const PRECONDITION_NAMES = [
  "ifGenerationMatch",
  "ifGenerationNotMatch",
  "ifMetagenerationMatch",
  "ifMetagenerationNotMatch",
] as const;

/** Reads `ifGenerationMatch` & co. (optionally with a prefix, e.g. `ifSource...`) from a query. */
export function parsePreconditions(query: URLSearchParams, prefix = ""): Preconditions | string {
  const out: Preconditions = {};
  for (const name of PRECONDITION_NAMES) {
    const param = prefix ? `if${prefix}${name.slice(2)}` : name;
    const raw = query.get(param);
    if (raw === null) continue;
    if (!/^\d+$/.test(raw)) return `Invalid argument for ${param}: ${raw}`;
    out[name] = Number(raw);
  }
  return out;
}

/**
 * Whether preconditions hold against the live object (undefined = none). For
 * `ifGenerationMatch: 0` the object must not exist; every other condition needs a live object.
 */
export function preconditionsHold(current: GcsObject | undefined, p: Preconditions): boolean {
  if (p.ifGenerationMatch !== undefined) {
    if (
      p.ifGenerationMatch === 0
        ? current !== undefined
        : current?.generation !== p.ifGenerationMatch
    ) {
      return false;
    }
  }
  if (p.ifGenerationNotMatch !== undefined) {
    if (!current || current.generation === p.ifGenerationNotMatch) return false;
  }
  if (p.ifMetagenerationMatch !== undefined) {
    if (!current || current.metageneration !== p.ifMetagenerationMatch) return false;
  }
  if (p.ifMetagenerationNotMatch !== undefined) {
    if (!current || current.metageneration === p.ifMetagenerationNotMatch) return false;
  }
  return true;
}

/** In-memory buckets and objects. All mutations are synchronous, hence atomic. */
export class GcsStore {
  readonly buckets = new Map<string, GcsBucket>();
  #lastGeneration = 0;

  /** Creates an empty bucket; undefined if it already exists. */
  createBucket(name: string): GcsBucket | undefined {
    if (this.buckets.has(name)) return undefined;
    const bucket: GcsBucket = { name, timeCreated: new Date().toISOString(), objects: new Map() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  /** Monotonic, microsecond-based like real generations. */
  nextGeneration(): number {
    this.#lastGeneration = Math.max(this.#lastGeneration + 1, Date.now() * 1000);
    return this.#lastGeneration;
  }

  /** Creates or replaces the live object; returns it. */
  write(bucket: GcsBucket, name: string, data: Buffer, fields: GcsObjectFields): GcsObject {
    const now = new Date().toISOString();
    const obj: GcsObject = {
      ...fields,
      contentType: fields.contentType ?? "application/octet-stream",
      bucket: bucket.name,
      name,
      data,
      generation: this.nextGeneration(),
      metageneration: 1,
      md5Hash: createHash("md5").update(data).digest("base64"),
      crc32c: crc32cBase64(data),
      timeCreated: now,
      updated: now,
    };
    bucket.objects.set(name, obj);
    return obj;
  }
}

/** Compares names by UTF-8 bytes, which is GCS's listing order. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

const FIELD_NAMES = [
  "contentType",
  "contentEncoding",
  "contentDisposition",
  "contentLanguage",
  "cacheControl",
] as const;

/** JSON API `storage#object` resource. */
export function objectResource(o: GcsObject, baseUrl: string): Record<string, unknown> {
  const enc = encodeURIComponent(o.name);
  return {
    kind: "storage#object",
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${o.bucket}/o/${enc}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${o.bucket}/o/${enc}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: String(o.generation),
    metageneration: String(o.metageneration),
    contentType: o.contentType,
    ...(o.contentEncoding === undefined ? {} : { contentEncoding: o.contentEncoding }),
    ...(o.contentDisposition === undefined ? {} : { contentDisposition: o.contentDisposition }),
    ...(o.contentLanguage === undefined ? {} : { contentLanguage: o.contentLanguage }),
    ...(o.cacheControl === undefined ? {} : { cacheControl: o.cacheControl }),
    ...(o.metadata === undefined ? {} : { metadata: o.metadata }),
    storageClass: "STANDARD",
    size: String(o.data.length),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: Buffer.from(`${o.generation}/${o.metageneration}`).toString("base64"),
    timeCreated: o.timeCreated,
    updated: o.updated,
    timeStorageClassUpdated: o.timeCreated,
  };
}

/** JSON API `storage#bucket` resource. */
export function bucketResource(
  b: GcsBucket,
  baseUrl: string,
  projectNumber: string,
): Record<string, unknown> {
  return {
    kind: "storage#bucket",
    id: b.name,
    selfLink: `${baseUrl}/storage/v1/b/${b.name}`,
    projectNumber,
    name: b.name,
    timeCreated: b.timeCreated,
    updated: b.timeCreated,
    metageneration: "1",
    location: "US",
    locationType: "multi-region",
    storageClass: "STANDARD",
    etag: "CAE=",
  };
}

/** The client-settable fields of an object (for copies). */
export function objectFields(o: GcsObject): GcsObjectFields {
  const out: GcsObjectFields = {};
  for (const k of FIELD_NAMES) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  if (o.metadata) out.metadata = { ...o.metadata };
  return out;
}

/** Picks the client-settable fields out of a JSON metadata body. */
export function pickFields(json: Record<string, unknown>): GcsObjectFields {
  const out: GcsObjectFields = {};
  for (const k of [
    "contentType",
    "contentEncoding",
    "contentDisposition",
    "contentLanguage",
    "cacheControl",
  ] as const) {
    const v = json[k];
    if (typeof v === "string") out[k] = v;
  }
  const md = json.metadata;
  if (md && typeof md === "object") {
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(md))
      if (v !== null && v !== undefined) metadata[k] = String(v);
    out.metadata = metadata;
  }
  return out;
}
