import { randomUUID } from "node:crypto";
import type { GcsRawRequest, GcsStorageLike } from "./gcs-sdk.js";

/**
 * The GCS JSON API batch format (`POST /batch/storage/v1`, `multipart/mixed`): each part is
 * `Content-Type: application/http` plus a `Content-ID`, then one nested request with a path-only
 * URL; the answer has one part per call, in order, each a whole HTTP response whose
 * `Content-ID` is `response-<id>`. Google allows at most 100 calls per batch.
 */
export const GCS_BATCH_LIMIT = 100;

/** One nested answer: its HTTP status and body text. */
export interface BatchPart {
  status: number;
  body: string;
}

/** The body and Content-Type of a batch of unconditional object DELETEs. */
export function deleteBatchRequest(
  pathPrefix: string,
  bucket: string,
  names: readonly string[],
): { contentType: string; body: string } {
  const boundary = `omniq_${randomUUID().replaceAll("-", "")}`;
  const b = encodeURIComponent(bucket);
  let body = "";
  names.forEach((name, i) => {
    body +=
      `--${boundary}\r\n` +
      "Content-Type: application/http\r\n" +
      "Content-Transfer-Encoding: binary\r\n" +
      `Content-ID: <omniq+${i}>\r\n\r\n` +
      `DELETE ${pathPrefix}/storage/v1/b/${b}/o/${encodeURIComponent(name)} HTTP/1.1\r\n\r\n`;
  });
  body += `--${boundary}--\r\n`;
  return { contentType: `multipart/mixed; boundary=${boundary}`, body };
}

/**
 * The nested answers of a batch response, indexed like the request (by `Content-ID`
 * `<response-omniq+i>`, else by position); a slot stays empty when no part answered it.
 */
export function parseBatchResponse(
  contentType: string | undefined,
  text: string,
  count: number,
): (BatchPart | undefined)[] {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  const boundary = m ? (m[1] ?? m[2]) : undefined;
  if (!boundary || !/^multipart\/mixed/i.test(contentType ?? "")) {
    throw new Error(`batch response is not multipart/mixed (Content-Type: ${contentType})`);
  }
  const out: (BatchPart | undefined)[] = new Array(count).fill(undefined);
  const sections = text.split(`--${boundary}`).slice(1);
  let position = 0;
  for (const section of sections) {
    if (section.startsWith("--")) break; // closing delimiter
    const [partHead = "", nested = ""] = splitHead(section.replace(/^\r?\n/, ""));
    const [statusHead = "", nestedBody = ""] = splitHead(nested);
    const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(statusHead.trimStart());
    const id = /^content-id:\s*<?response-omniq\+(\d+)>?\s*$/im.exec(partHead);
    const index = id ? Number(id[1]) : position;
    position++;
    if (!status || index >= count || out[index] !== undefined) continue;
    out[index] = { status: Number(status[1]), body: nestedBody.replace(/\r?\n$/, "") };
  }
  return out;
}

function splitHead(text: string): [string, string] {
  const sep = /\r?\n\r?\n/.exec(text);
  return sep ? [text.slice(0, sep.index), text.slice(sep.index + sep[0].length)] : [text, ""];
}

/** The `error.message` of a JSON API error body, else the body's first line. */
export function errorMessageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === "string") return parsed.error.message;
  } catch {
    // not JSON
  }
  return body.split("\n")[0]?.slice(0, 200) ?? "";
}

/**
 * Sends one raw request through the SDK's `makeAuthenticatedRequest` (credentials, user agent and
 * endpoint as for the SDK's own calls) and resolves with the response's Content-Type and text.
 */
export function sendRaw(
  storage: GcsStorageLike,
  request: GcsRawRequest,
  signal: AbortSignal,
): Promise<{ contentType: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      (handle as { abort?: () => void } | undefined)?.abort?.();
      reject(signal.reason);
    };
    const handle = storage.makeAuthenticatedRequest?.(request, (err, body, response) => {
      signal.removeEventListener("abort", onAbort);
      if (err) {
        reject(err);
        return;
      }
      const headers = (response?.headers ?? {}) as Record<string, unknown>;
      const contentType = headers["content-type"];
      resolve({
        contentType: typeof contentType === "string" ? contentType : undefined,
        text: typeof body === "string" ? body : JSON.stringify(body ?? ""),
      });
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}
