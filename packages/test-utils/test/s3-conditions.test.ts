import { describe, expect, it } from "vitest";
import { checkReadConditions, checkWriteConditions, etagMatches } from "../src/s3-conditions.js";

const ETAG = '"5d41402abc4b2a76b9719d911017c592"';
const exists = { exists: true, etag: ETAG };
const missing = { exists: false };

describe("S3 conditional semantics", () => {
  it("matches ETags quoted, unquoted, weak, in lists and *", () => {
    expect(etagMatches(ETAG, ETAG)).toBe(true);
    expect(etagMatches("5d41402abc4b2a76b9719d911017c592", ETAG)).toBe(true);
    expect(etagMatches(`W/${ETAG}`, ETAG)).toBe(true);
    expect(etagMatches(`"other", ${ETAG}`, ETAG)).toBe(true);
    expect(etagMatches("*", ETAG)).toBe(true);
    expect(etagMatches('"other"', ETAG)).toBe(false);
    expect(etagMatches("*", undefined)).toBe(false);
  });

  it("writes", () => {
    expect(checkWriteConditions(missing, undefined, "*", "k", 404)).toBeUndefined();
    expect(checkWriteConditions(exists, undefined, "*", "k", 404)?.status).toBe(412);
    expect(checkWriteConditions(exists, undefined, ETAG, "k", 404)?.status).toBe(501);
    expect(checkWriteConditions(exists, ETAG, undefined, "k", 404)).toBeUndefined();
    expect(checkWriteConditions(exists, "*", undefined, "k", 404)).toBeUndefined();
    expect(checkWriteConditions(exists, '"stale"', undefined, "k", 404)?.code).toBe(
      "PreconditionFailed",
    );
    expect(checkWriteConditions(missing, ETAG, undefined, "k", 404)?.code).toBe("NoSuchKey");
    expect(checkWriteConditions(missing, ETAG, undefined, "k", 412)?.status).toBe(412);
    expect(checkWriteConditions(exists, undefined, undefined, "k", 404)).toBeUndefined();
  });

  it("reads", () => {
    expect(checkReadConditions(exists, '"stale"', undefined)).toBe(412);
    expect(checkReadConditions(exists, ETAG, undefined)).toBeUndefined();
    expect(checkReadConditions(exists, undefined, ETAG)).toBe(304);
    expect(checkReadConditions(exists, undefined, '"stale"')).toBeUndefined();
    expect(checkReadConditions(missing, ETAG, undefined)).toBeUndefined();
  });
});
