export interface MultipartPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** The boundary of a `multipart/*` Content-Type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Parses a `multipart/related` (or form-data) body into its parts. */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString("latin1") === "--") break; // closing delimiter
    if (body.subarray(pos, pos + 2).toString("latin1") === "\r\n") pos += 2;
    const next = body.indexOf(delimiter, pos);
    if (next < 0) break;
    // The part ends with the CRLF that precedes the next delimiter.
    const end = body.subarray(next - 2, next).toString("latin1") === "\r\n" ? next - 2 : next;
    const part = body.subarray(pos, end);
    let headerText = "";
    let content = part;
    if (part.subarray(0, 2).toString("latin1") === "\r\n") {
      content = part.subarray(2); // no part headers
    } else {
      const sepAt = part.indexOf("\r\n\r\n");
      if (sepAt >= 0) {
        headerText = part.subarray(0, sepAt).toString("utf8");
        content = part.subarray(sepAt + 4);
      }
    }
    const headers: Record<string, string> = {};
    for (const line of headerText.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0)
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: content });
    pos = next;
  }
  return parts;
}
