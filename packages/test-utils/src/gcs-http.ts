import type { IncomingMessage, ServerResponse } from "node:http";
import type { GcsBucket, GcsStore } from "./gcs-store.js";

/** Per-request context shared by the GCS handlers. */
export interface GcsContext {
  req: IncomingMessage;
  res: ServerResponse;
  store: GcsStore;
  query: URLSearchParams;
  /** `http://127.0.0.1:port`, from the Host header. */
  baseUrl: string;
  projectNumber: string;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends a JSON API error: `{ error: { code, message, errors: [{ domain, reason, message }] } }`. */
export function sendError(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
): void {
  sendJson(res, code, {
    error: { code, message, errors: [{ domain: "global", reason, message }] },
  });
}

export function preconditionFailed(res: ServerResponse): void {
  sendError(
    res,
    412,
    "conditionNotMet",
    "At least one of the pre-conditions you specified did not hold.",
  );
}

export function noSuchObject(res: ServerResponse, bucket: string, name: string): void {
  sendError(res, 404, "notFound", `No such object: ${bucket}/${name}`);
}

/** The bucket, or sends 404 and returns undefined. */
export function requireBucket(ctx: GcsContext, name: string): GcsBucket | undefined {
  const b = ctx.store.buckets.get(name);
  if (!b) sendError(ctx.res, 404, "notFound", "The specified bucket does not exist.");
  return b;
}

/** Parses a JSON request body; `{}` for an empty body, undefined (after a 400) if invalid. */
export function parseJsonBody(
  res: ServerResponse,
  body: Buffer,
): Record<string, unknown> | undefined {
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
