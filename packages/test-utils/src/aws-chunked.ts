/**
 * Decodes an `aws-chunked` request body (SigV4 streaming / flexible-checksum trailers):
 * `<hex-size>[;chunk-signature=...]\r\n<data>\r\n ... 0[;...]\r\n[trailers]\r\n`.
 * s3rver does not understand this framing and would store it verbatim.
 */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", pos);
    if (lineEnd < 0) throw new Error("aws-chunked: missing chunk header");
    const sizeHex = body.toString("latin1", pos, lineEnd).split(";")[0]?.trim() ?? "";
    const size = Number.parseInt(sizeHex, 16);
    if (!Number.isFinite(size) || size < 0) throw new Error(`aws-chunked: bad size "${sizeHex}"`);
    pos = lineEnd + 2;
    if (size === 0) break; // trailers (e.g. x-amz-checksum-crc32) follow; ignored
    if (pos + size > body.length) throw new Error("aws-chunked: truncated chunk");
    parts.push(body.subarray(pos, pos + size));
    pos += size + 2; // data + CRLF
  }
  return Buffer.concat(parts);
}

/** True if the request's Content-Encoding includes `aws-chunked`. */
export function isAwsChunked(contentEncoding: string | undefined): boolean {
  return (contentEncoding ?? "").split(",").some((e) => e.trim().toLowerCase() === "aws-chunked");
}

/** Content-Encoding with `aws-chunked` removed, or undefined if nothing is left. */
export function stripAwsChunked(contentEncoding: string | undefined): string | undefined {
  const rest = (contentEncoding ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "" && e.toLowerCase() !== "aws-chunked");
  return rest.length > 0 ? rest.join(", ") : undefined;
}
