import { randomUUID } from "node:crypto";
import { type IncomingHttpHeaders, type OutgoingHttpHeaders, STATUS_CODES } from "node:http";
import { type GcsContext, type GcsRequest, type GcsResponse, sendError } from "./gcs-http.js";
import { multipartBoundary, parseMultipart } from "./gcs-multipart.js";

/** Most calls one batch takes ("You should not include more than 100 calls in a single batch"). */
export const GCS_BATCH_LIMIT = 100;

/** Runs one nested request through the server's normal routes, answering on `res`. */
export type NestedDispatch = (req: GcsRequest, res: GcsResponse, body: Buffer) => void;

/** Collects what a route handler writes, to be serialized as one part of the batch response. */
export class CapturedResponse implements GcsResponse {
  statusCode = 200;
  headers: OutgoingHttpHeaders = {};
  body: Buffer = Buffer.alloc(0);
  headersSent = false;
  readonly done: Promise<void>;
  #finish!: () => void;

  constructor() {
    this.done = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders): this {
    this.statusCode = status;
    if (headers) this.headers = { ...this.headers, ...headers };
    this.headersSent = true;
    return this;
  }

  end(data?: string | Buffer | Uint8Array): this {
    if (data !== undefined) this.body = Buffer.from(data);
    this.headersSent = true;
    this.#finish();
    return this;
  }

  destroy(): void {
    this.statusCode = 500;
    this.#finish();
  }

  /** `HTTP/1.1 <status> <reason>`, headers, a blank line, the body. */
  serialize(): Buffer {
    const lines = [`HTTP/1.1 ${this.statusCode} ${STATUS_CODES[this.statusCode] ?? ""}`.trimEnd()];
    const headers: OutgoingHttpHeaders = { ...this.headers };
    if (this.body.length > 0 || this.statusCode !== 204)
      headers["content-length"] = this.body.length;
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
    }
    return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "utf8"), this.body]);
  }
}

/** Parses `METHOD path HTTP/1.1`, headers, blank line, body (CRLF or LF line ends). */
function parseNested(
  part: Buffer,
): { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer } | string {
  const text = part.toString("latin1");
  const sep = /\r?\n\r?\n/.exec(text);
  const head = sep ? text.slice(0, sep.index) : text.replace(/\r?\n$/, "");
  const body = sep ? part.subarray(sep.index + sep[0].length) : Buffer.alloc(0);
  const [requestLine = "", ...headerLines] = head.split(/\r?\n/);
  const m = /^([A-Z]+) (\S+)(?: HTTP\/1\.[01])?$/.exec(requestLine.trim());
  if (!m) return `Invalid nested request line: ${JSON.stringify(requestLine.slice(0, 100))}`;
  const headers: IncomingHttpHeaders = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  // Full URLs "can have undefined behavior"; accept them by keeping path and query.
  const target = /^https?:\/\//i.test(m[2] as string)
    ? (() => {
        const u = new URL(m[2] as string);
        return u.pathname + u.search;
      })()
    : (m[2] as string);
  return { method: m[1] as string, url: target, headers, body };
}

/** `<response-ID>` for `<ID>`, `response-ID` for a bare `ID`, as GCS echoes them. */
function responseContentId(id: string | undefined): string | undefined {
  if (id === undefined || id === "") return undefined;
  const bracketed = /^<(.*)>$/.exec(id);
  return bracketed ? `<response-${bracketed[1]}>` : `response-${id}`;
}

/**
 * `POST /batch/storage/v1`: a `multipart/mixed` body whose parts (`Content-Type:
 * application/http`, optional `Content-ID`) each hold one JSON API request with a path-only URL.
 * The outer request's headers (except `Content-*`) and query parameters apply to every part
 * unless the part sets its own; each part is then handled as a separate request, in order, and
 * answered in a `multipart/mixed` part of a `200 OK` response, with `Content-ID: <response-ID>`.
 * More than {@link GCS_BATCH_LIMIT} parts, or none, is a `400`. Uploads and media downloads
 * are not allowed in a batch (a per-part `400`), as Google documents.
 */
export async function handleBatch(
  ctx: GcsContext,
  body: Buffer,
  dispatch: NestedDispatch,
): Promise<void> {
  if ((ctx.req.method ?? "GET").toUpperCase() !== "POST") {
    sendError(ctx.res, 405, "methodNotAllowed", "Batch requests must be POST");
    return;
  }
  const contentType = ctx.req.headers["content-type"] ?? "";
  const boundary = /^multipart\/mixed\b/i.test(contentType)
    ? multipartBoundary(contentType)
    : undefined;
  if (!boundary) {
    sendError(
      ctx.res,
      400,
      "invalid",
      "Batch requests need Content-Type: multipart/mixed; boundary=...",
    );
    return;
  }
  const parts = parseMultipart(body, boundary);
  if (parts.length === 0) {
    sendError(ctx.res, 400, "invalid", "Batch request contains no parts");
    return;
  }
  if (parts.length > GCS_BATCH_LIMIT) {
    sendError(
      ctx.res,
      400,
      "invalid",
      `Batch request contains ${parts.length} parts; at most ${GCS_BATCH_LIMIT} are allowed`,
    );
    return;
  }
  const outerHeaders: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (!name.startsWith("content-")) outerHeaders[name] = value;
  }
  const answers: Buffer[] = [];
  for (const part of parts) {
    const res = new CapturedResponse();
    const nested = parseNested(part.body);
    if (typeof nested === "string") {
      sendError(res, 400, "invalid", nested);
    } else {
      const url = new URL(nested.url, ctx.baseUrl);
      for (const [name, value] of ctx.query)
        if (!url.searchParams.has(name)) url.searchParams.set(name, value);
      const path = url.pathname;
      if (
        path.startsWith("/upload/") ||
        path.startsWith("/batch/") ||
        url.searchParams.get("alt") === "media"
      ) {
        sendError(res, 400, "invalid", `Not allowed in a batch request: ${nested.method} ${path}`);
      } else {
        dispatch(
          {
            method: nested.method,
            url: url.pathname + url.search,
            headers: { ...outerHeaders, ...nested.headers },
          },
          res,
          nested.body,
        );
      }
    }
    await res.done;
    const id = responseContentId(part.headers["content-id"]);
    const head = ["Content-Type: application/http", ...(id ? [`Content-ID: ${id}`] : [])];
    answers.push(Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "utf8"), res.serialize());
  }
  const outBoundary = `batch_${randomUUID().replaceAll("-", "")}`;
  const chunks: Buffer[] = [];
  for (let i = 0; i < answers.length; i += 2) {
    chunks.push(
      Buffer.from(`--${outBoundary}\r\n`),
      answers[i] as Buffer,
      answers[i + 1] as Buffer,
      Buffer.from("\r\n"),
    );
  }
  chunks.push(Buffer.from(`--${outBoundary}--\r\n`));
  const out = Buffer.concat(chunks);
  ctx.res.writeHead(200, {
    "content-type": `multipart/mixed; boundary=${outBoundary}`,
    "content-length": out.length,
  });
  ctx.res.end(out);
}
