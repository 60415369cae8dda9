import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { GcsBucket, GcsStore } from "./gcs-store.js";

/** What the GCS handlers read of a request: an `IncomingMessage`, or one part of a batch. */
export interface GcsRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: IncomingHttpHeaders;
}

/** What the GCS handlers write to: a `ServerResponse`, or one part of a batch response. */
export interface GcsResponse {
  readonly headersSent: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  end(data?: string | Buffer | Uint8Array): unknown;
  destroy(): unknown;
}

/** Per-request context shared by the GCS handlers. */
export interface GcsContext {
  req: GcsRequest;
  res: GcsResponse;
  store: GcsStore;
  query: URLSearchParams;
  /** `http://127.0.0.1:port`, from the Host header. */
  baseUrl: string;
  projectNumber: string;
}

export function sendJson(res: GcsResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends a JSON API error: `{ error: { code, message, errors: [{ domain, reason, message }] } }`. */
export function sendError(res: GcsResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, {
    error: { code, message, errors: [{ domain: "global", reason, message }] },
  });
}

export function preconditionFailed(res: GcsResponse): void {
  sendError(
    res,
    412,
    "conditionNotMet",
    "At least one of the pre-conditions you specified did not hold.",
  );
}

export function noSuchObject(res: GcsResponse, bucket: string, name: string): void {
  sendError(res, 404, "notFound", `No such object: ${bucket}/${name}`);
}

/** The bucket, or sends 404 and returns undefined. */
export function requireBucket(ctx: GcsContext, name: string): GcsBucket | undefined {
  const b = ctx.store.buckets.get(name);
  if (!b) sendError(ctx.res, 404, "notFound", "The specified bucket does not exist.");
  return b;
}

/** Parses a JSON request body; `{}` for an empty body, undefined (after a 400) if invalid. */
export function parseJsonBody(res: GcsResponse, body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return {};
  try {
    const v: unknown = JSON.parse(body.toString("utf8"));
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  sendError(res, 400, "parseError", "Parse Error");
  return undefined;
}
