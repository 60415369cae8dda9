import { describe, expect, it } from "vitest";
import {
  collectSecrets,
  isTransientError,
  sanitizeError,
  scrubSecrets,
} from "../src/targets/cloud-errors.js";
import { bareEtag, quoteEtag } from "../src/targets/cloud-etag.js";
import { normalizeBaseDir } from "../src/targets/cloud-keys.js";
import { DEFAULT_RETRY_POLICY, retryDelayMs, withRetry } from "../src/targets/cloud-retry.js";

describe("cloud target helpers", () => {
  it("scrubs credential-bearing headers, query parameters and connection strings", () => {
    const samples: [string, string][] = [
      [
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=deadbeefcafe",
        "deadbeefcafe",
      ],
      ['{"authorization":"SharedKey devstoreaccount1:c2lnbmF0dXJl"}', "c2lnbmF0dXJl"],
      ["GET https://acct.blob.core.windows.net/c/b?sv=2024&sig=abc%2Bdef%3D&se=2030", "abc%2Bdef"],
      [
        "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=S2V5S2V5S2V5==;EndpointSuffix=core.windows.net",
        "S2V5S2V5S2V5",
      ],
      ["https://x/?X-Amz-Signature=0123abcd&X-Amz-Credential=AKIA%2F", "0123abcd"],
      ["Bearer ya29.a0AfH6SMBtoken", "ya29.a0AfH6SMBtoken"],
      ['"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----"', "MIIE"],
    ];
    for (const [text, secret] of samples) {
      const out = scrubSecrets(text, []);
      expect(out, text).not.toContain(secret);
      expect(out).toContain("***");
    }
    expect(scrubSecrets("ConditionNotMet: The condition specified was not met.", [])).toBe(
      "ConditionNotMet: The condition specified was not met.",
    );
  });

  it("collects secrets from storageOptions but not public settings", () => {
    const secrets = collectSecrets({
      endpoint: "http://127.0.0.1:9000",
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "wJalrXUtnFEMI" },
      connectionString: "AccountName=a;AccountKey=S2V5S2V5;",
      url: "https://a.blob.core.windows.net?sv=1&sig=abcdef",
    });
    expect(secrets).toContain("wJalrXUtnFEMI");
    expect(secrets).toContain("S2V5S2V5");
    expect(secrets).toContain("sv=1&sig=abcdef");
    expect(secrets).not.toContain("eu-west-1");
    expect(secrets).not.toContain("http://127.0.0.1:9000");
  });

  it("sanitized errors keep status, code and request id, and nothing else", () => {
    const sdkError = Object.assign(new Error("Precondition failed; key=S3CR3T-VALUE"), {
      name: "PreconditionFailed",
      $metadata: { httpStatusCode: 412, requestId: "REQ123" },
      $response: { headers: { authorization: "AWS4-HMAC-SHA256 Signature=zzz" } },
    });
    const safe = sanitizeError(sdkError, ["S3CR3T-VALUE"]);
    expect(safe.name).toBe("PreconditionFailed");
    expect(safe.status).toBe(412);
    expect(safe.requestId).toBe("REQ123");
    expect(safe.message).not.toContain("S3CR3T-VALUE");
    expect(JSON.stringify(Object.entries(safe))).not.toContain("Signature");
    expect(Object.keys(safe)).not.toContain("$response");
  });

  it("classifies transient failures", () => {
    const status = (s: number, name = "X") => ({ name, $metadata: { httpStatusCode: s } });
    expect(isTransientError(status(503))).toBe(true);
    expect(isTransientError(status(500))).toBe(true);
    expect(isTransientError(status(429))).toBe(true);
    expect(isTransientError(status(412))).toBe(false);
    expect(isTransientError(status(404))).toBe(false);
    expect(isTransientError(status(403))).toBe(false);
    expect(isTransientError(status(409, "ConditionalRequestConflict"))).toBe(false);
    expect(
      isTransientError(status(409, "ConditionalRequestConflict"), ["ConditionalRequestConflict"]),
    ).toBe(true);
    expect(isTransientError(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(true);
    expect(isTransientError(new Error("x", { cause: { code: "ECONNREFUSED" } }))).toBe(true);
    expect(isTransientError(new Error("request failed, reason: socket hang up"))).toBe(true);
    expect(isTransientError({ name: "TimeoutError" })).toBe(true);
    expect(isTransientError(new Error("The specified bucket does not exist"))).toBe(false);
  });

  it("retries with a bounded, growing, jittered delay", async () => {
    for (let retry = 0; retry < 8; retry++) {
      const d = retryDelayMs(DEFAULT_RETRY_POLICY, retry);
      const cap = Math.min(2000, 100 * 2 ** retry);
      expect(d).toBeGreaterThanOrEqual(cap / 2);
      expect(d).toBeLessThanOrEqual(cap);
    }
    const state = { attempts: 0 };
    const policy = { retries: 3, baseDelayMs: 1, maxDelayMs: 2 };
    const transient = Object.assign(new Error("t"), { code: "ECONNRESET" });
    await expect(
      withRetry(policy, isTransientError, state, async () => {
        throw transient;
      }),
    ).rejects.toBe(transient);
    expect(state.attempts).toBe(4);
    const once = { attempts: 0 };
    await expect(
      withRetry(policy, isTransientError, once, async () => {
        throw new Error("permanent");
      }),
    ).rejects.toThrow("permanent");
    expect(once.attempts).toBe(1);
  });

  it("normalizes base directories and ETags", () => {
    expect(normalizeBaseDir("t", undefined)).toBe("");
    expect(normalizeBaseDir("t", "/")).toBe("");
    expect(normalizeBaseDir("t", "/a/b/")).toBe("a/b/");
    expect(() => normalizeBaseDir("t", "a/../b")).toThrow(/\.\./);
    expect(() => normalizeBaseDir("t", "a//b")).toThrow(/empty segment/);
    expect(bareEtag('"abc"')).toBe("abc");
    expect(bareEtag('W/"abc"')).toBe("abc");
    expect(bareEtag("0x8D")).toBe("0x8D");
    expect(quoteEtag("abc")).toBe('"abc"');
    expect(quoteEtag('"abc"')).toBe('"abc"');
  });
});
