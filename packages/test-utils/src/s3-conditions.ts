/** What the proxy knows about an object when it evaluates conditional headers. */
export interface ObjectState {
  exists: boolean;
  /** Quoted ETag as s3rver reports it, e.g. `"5d41402abc4b2a76b9719d911017c592"`. */
  etag?: string | undefined;
}

/** An S3 error to answer with instead of performing the operation. */
export interface ConditionFailure {
  status: number;
  code: string;
  message: string;
  extra: Record<string, string>;
}

const NOT_HELD = "At least one of the pre-conditions you specified did not hold";

function preconditionFailed(header: "If-Match" | "If-None-Match"): ConditionFailure {
  return {
    status: 412,
    code: "PreconditionFailed",
    message: NOT_HELD,
    extra: { Condition: header },
  };
}

function bare(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1");
}

/** Whether an `If-Match` / `If-None-Match` list (or `*`) matches the current ETag. */
export function etagMatches(condition: string, currentEtag: string | undefined): boolean {
  if (currentEtag === undefined) return false;
  const current = bare(currentEtag);
  return condition
    .split(",")
    .map(bare)
    .some((c) => c === "*" || c === current);
}

/**
 * Conditional writes as AWS S3 documents them for PutObject, CompleteMultipartUpload and
 * DeleteObject (the caller passes `ifNoneMatch` undefined for DELETE):
 * - `If-None-Match: *` and the key exists → 412; any other If-None-Match value → 501.
 * - `If-Match` and the key is missing → 404 NoSuchKey (or 412 if `missingStatus` says so);
 *   `If-Match` not matching the current ETag → 412. `If-Match: *` matches any existing object.
 */
export function checkWriteConditions(
  state: ObjectState,
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
  key: string,
  missingStatus: 404 | 412,
): ConditionFailure | undefined {
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== "*") {
      return {
        status: 501,
        code: "NotImplemented",
        message: "A header you provided implies functionality that is not implemented",
        extra: { Header: "If-None-Match" },
      };
    }
    if (state.exists) return preconditionFailed("If-None-Match");
  }
  if (ifMatch !== undefined) {
    if (!state.exists) {
      return missingStatus === 404
        ? {
            status: 404,
            code: "NoSuchKey",
            message: "The specified key does not exist.",
            extra: { Key: key },
          }
        : preconditionFailed("If-Match");
    }
    if (!etagMatches(ifMatch, state.etag)) return preconditionFailed("If-Match");
  }
  return undefined;
}

/**
 * Conditional reads (GET/HEAD) on an existing object: If-Match not matching → 412;
 * If-None-Match matching → 304. Missing objects are left to s3rver (404).
 */
export function checkReadConditions(
  state: ObjectState,
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
): 412 | 304 | undefined {
  if (!state.exists) return undefined;
  if (ifMatch !== undefined && !etagMatches(ifMatch, state.etag)) return 412;
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, state.etag)) return 304;
  return undefined;
}
