import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Sends an S3-style error: `<Error><Code>..</Code><Message>..</Message>...</Error>`. */
export function sendS3Error(
  res: ServerResponse,
  method: string | undefined,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  const requestId = randomBytes(8).toString("hex").toUpperCase();
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
    .join("");
  const body =
    `${XML_DECL}<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>` +
    `${fields}<RequestId>${requestId}</RequestId></Error>`;
  res.writeHead(status, {
    "content-type": "application/xml",
    "content-length": method === "HEAD" ? 0 : Buffer.byteLength(body),
    "x-amz-request-id": requestId,
  });
  res.end(method === "HEAD" ? undefined : body);
}
