/** An ETag as a version string: without the quotes HTTP puts around it (`"abc"` → `abc`). */
export function bareEtag(etag: string): string {
  const weak = etag.startsWith("W/") ? etag.slice(2) : etag;
  return weak.length >= 2 && weak.startsWith('"') && weak.endsWith('"') ? weak.slice(1, -1) : weak;
}

/** A version string as an `If-Match` value (`abc` → `"abc"`; never the wildcard `*`). */
export function quoteEtag(version: string): string {
  return `"${bareEtag(version)}"`;
}
