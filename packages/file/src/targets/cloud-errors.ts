/**
 * Reading SDK errors without depending on SDK types, and making them safe to show: the three
 * SDKs put the HTTP status, service error code and system error code in different places, and
 * their error objects carry the signed request (Authorization header, SAS query), so OmniQ never
 * passes one on as is.
 */

/** Network failures worth retrying (the request may or may not have reached the server). */
const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTCONN",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
  "REQUEST_SEND_ERROR",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "InternalError",
  "ServiceUnavailable",
  "ServerBusy",
  "OperationTimedOut",
]);

const TRANSIENT_MESSAGES =
  /socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|premature close|other side closed|network (socket )?(error|disconnected)|fetch failed|connection (was )?(reset|refused|closed)/i;

function field(err: unknown, name: string): unknown {
  return err !== null && typeof err === "object"
    ? (err as Record<string, unknown>)[name]
    : undefined;
}

/** The error, its `cause` chain and any `errors` of an AggregateError, at most a few deep. */
export function errorChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (e === undefined || e === null || depth > 5 || out.includes(e)) return;
    out.push(e);
    visit(field(e, "cause"), depth + 1);
    const errors = field(e, "errors");
    if (Array.isArray(errors)) for (const inner of errors.slice(0, 5)) visit(inner, depth + 1);
  };
  visit(err, 0);
  return out;
}

/** The HTTP status an SDK error reports (S3 `$metadata`, Azure `statusCode`, GCS numeric `code`). */
export function httpStatusOf(err: unknown): number | undefined {
  const metadata = field(err, "$metadata");
  const candidates = [
    field(metadata, "httpStatusCode"),
    field(err, "statusCode"),
    field(err, "status"),
    field(err, "code"),
    field(field(err, "response"), "status"),
  ];
  for (const c of candidates) {
    if (typeof c === "number" && c >= 100 && c < 600) return c;
  }
  return undefined;
}

/** Every string code on the error and its causes: `name`, `code`, S3 `Code`, `errno`-style codes. */
export function errorCodesOf(err: unknown): string[] {
  const codes: string[] = [];
  for (const e of errorChain(err)) {
    for (const name of ["code", "Code", "name", "errno"]) {
      const v = field(e, name);
      if (typeof v === "string" && v !== "" && v !== "Error") codes.push(v);
    }
  }
  return codes;
}

/**
 * Whether a failure is worth retrying: a network error or timeout, HTTP 408/429/5xx, or a
 * throttling code. Lost races (409/412) are not errors here; targets map them first.
 */
export function isTransientError(err: unknown, extraCodes: readonly string[] = []): boolean {
  const status = httpStatusOf(err);
  if (status !== undefined && (status === 408 || status === 429 || status >= 500)) return true;
  for (const code of errorCodesOf(err)) {
    if (TRANSIENT_NETWORK_CODES.has(code) || extraCodes.includes(code)) return true;
  }
  if (status !== undefined) return false;
  for (const e of errorChain(err)) {
    const message = field(e, "message");
    if (typeof message === "string" && TRANSIENT_MESSAGES.test(message)) return true;
  }
  return false;
}

const REDACTED = "***";

/**
 * Header, query and connection-string fields that carry credentials, and the value after them.
 * `Authorization: AWS4-HMAC-SHA256 Credential=..., Signature=...`, `sig=...&se=...`,
 * `AccountKey=...;`, `"private_key": "..."`.
 */
const SECRET_FIELDS = [
  /\b(authorization|proxy-authorization|x-amz-security-token|x-amz-signature|x-amz-credential|x-goog-signature|x-goog-credential|x-ms-copy-source-authorization|cookie|set-cookie)(["']?\s*[:=]\s*["']?)[^"'\r\n,}]*/gi,
  /\b(sig|signature|credential|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|access_token|refresh_token|client_secret)=([^&\s"'<]*)/gi,
  /\b(AccountKey|SharedAccessSignature|SharedAccessKey|SecretAccessKey|AWSSecretKey|SessionToken)(\s*[=:]\s*)[^;\s"'<,]*/gi,
  /\b(private_key|privateKey|secretAccessKey|secret_access_key|sessionToken|session_token|accountKey|sasToken|connectionString|password|secret)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,}]*)/gi,
  /\b(Bearer|SharedKey|SharedKeyLite|Basic)\s+[^\s"',}]+/gi,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

/**
 * `text` with credential-looking fields and every known secret replaced by `***`.
 *
 * @example
 * ```ts
 * scrubSecrets("Authorization: SharedKey acct:abc=", []) // "Authorization: ***"
 * ```
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(SECRET_FIELDS[0] as RegExp, `$1$2${REDACTED}`);
  out = out.replace(SECRET_FIELDS[1] as RegExp, `$1=${REDACTED}`);
  out = out.replace(SECRET_FIELDS[2] as RegExp, `$1$2${REDACTED}`);
  out = out.replace(SECRET_FIELDS[3] as RegExp, `$1$2${REDACTED}`);
  out = out.replace(SECRET_FIELDS[4] as RegExp, `$1 ${REDACTED}`);
  out = out.replace(SECRET_FIELDS[5] as RegExp, REDACTED);
  return out;
}

/**
 * An SDK error reduced to what is safe to log: name, scrubbed message, HTTP status, service and
 * system codes and request id. No request, response, headers or client configuration.
 */
export class CloudRequestError extends Error {
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** Service or system error code, e.g. `PreconditionFailed`, `BlobNotFound`, `ECONNRESET`. */
  readonly code: string | undefined;
  /** The service's request id, for support tickets. */
  readonly requestId: string | undefined;

  constructor(
    name: string,
    message: string,
    details: { status?: number; code?: string; requestId?: string },
  ) {
    super(message);
    this.name = name;
    this.status = details.status;
    this.code = details.code;
    this.requestId = details.requestId;
  }
}

function requestIdOf(err: unknown): string | undefined {
  const metadata = field(err, "$metadata");
  const candidates = [
    field(metadata, "requestId"),
    field(err, "RequestId"),
    field(err, "requestId"),
    field(field(err, "details"), "requestId"),
  ];
  for (const c of candidates) if (typeof c === "string" && /^[\w.:-]{1,128}$/.test(c)) return c;
  return undefined;
}

/** Builds the safe copy of `err` (see {@link CloudRequestError}). Scrubs the stack too. */
export function sanitizeError(err: unknown, secrets: readonly string[]): CloudRequestError {
  const rawName = field(err, "name");
  const name =
    typeof rawName === "string" && /^[\w$.-]{1,80}$/.test(rawName) ? rawName : "CloudRequestError";
  const rawMessage = err instanceof Error ? err.message : String(err);
  const message = scrubSecrets(rawMessage, secrets).slice(0, 1000);
  const status = httpStatusOf(err);
  const code = errorCodesOf(err).find((c) => c !== name) ?? errorCodesOf(err)[0];
  const out = new CloudRequestError(name, message, {
    ...(status === undefined ? {} : { status }),
    ...(code === undefined ? {} : { code: scrubSecrets(code, secrets).slice(0, 100) }),
    ...(requestIdOf(err) === undefined ? {} : { requestId: requestIdOf(err) as string }),
  });
  const stack = field(err, "stack");
  if (typeof stack === "string") {
    // Keep the frames (useful), with the header line rebuilt from the scrubbed message.
    const frames = stack
      .split("\n")
      .filter((line) => /^\s+at /.test(line))
      .map((line) => scrubSecrets(line, secrets));
    out.stack = [`${name}: ${message}`, ...frames].join("\n");
  }
  return out;
}

/** A one-line, scrubbed summary of an SDK error for a message: `PreconditionFailed (412): ...`. */
export function describeError(safe: CloudRequestError): string {
  const parts = safe.name === "Error" && safe.code !== undefined ? [] : [safe.name];
  if (safe.code !== undefined && safe.code !== safe.name) parts.push(safe.code);
  const head = safe.status === undefined ? parts.join("/") : `${parts.join("/")} (${safe.status})`;
  const firstLine = safe.message.split("\n")[0]?.trim() ?? "";
  return firstLine === "" ? head : `${head}: ${firstLine.slice(0, 300)}`;
}

/**
 * String values from `storageOptions` that may be secrets, to scrub from messages: everything
 * except plainly public settings (endpoint, region, project id). Connection strings also yield
 * their key and SAS parts; URLs their query string.
 */
export function collectSecrets(storageOptions: Record<string, unknown> | undefined): string[] {
  const publicKeys = new Set([
    "endpoint",
    "region",
    "apiEndpoint",
    "projectId",
    "forcePathStyle",
    "accountName",
    "url",
    "keyFilename",
    "client_email",
    "type",
  ]);
  const found: string[] = [];
  const visit = (key: string, value: unknown, depth: number): void => {
    if (depth > 6) return;
    if (typeof value === "string") {
      if (key === "url" || key === "endpoint") {
        const q = value.indexOf("?");
        if (q >= 0 && value.length - q > 5) found.push(value.slice(q + 1));
        return;
      }
      if (publicKeys.has(key)) return;
      if (value.length >= 6) found.push(value);
      for (const part of value.split(";")) {
        const eq = part.indexOf("=");
        if (eq > 0 && /key|signature|secret|token/i.test(part.slice(0, eq))) {
          const v = part.slice(eq + 1);
          if (v.length >= 6) found.push(v);
        }
      }
    } else if (Array.isArray(value)) {
      for (const v of value) visit(key, v, depth + 1);
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) visit(k, v, depth + 1);
    }
  };
  visit("", storageOptions, 0);
  // Longest first, so a connection string is masked whole before its parts.
  return [...new Set(found)].sort((a, b) => b.length - a.length);
}
