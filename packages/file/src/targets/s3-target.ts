import { ValidationError } from "@omniq/core";
import { httpStatusOf, isTransientError } from "./cloud-errors.js";
import { bareEtag, quoteEtag } from "./cloud-etag.js";
import { type CloudRetryOptions, splitRetryOptions } from "./cloud-retry.js";
import { loadSdk, type SdkLoader } from "./cloud-sdk.js";
import {
  type CloudListPage,
  type CloudListRequest,
  CloudTarget,
  type CloudTargetSpecLike,
  type DeleteOutcome,
  type PutCondition,
} from "./cloud-target.js";
import {
  isS3Sdk,
  type S3ClientLike,
  type S3GetOutput,
  type S3ListOutput,
  type S3PutOutput,
  type S3Sdk,
} from "./s3-sdk.js";
import type { StoredObject, TargetCapabilities } from "./storage-target.js";

export type { S3ClientLike } from "./s3-sdk.js";

/** The SDK package the S3 target loads (an optional peer dependency of `@omniq/file`). */
export const S3_SDK_PACKAGE = "@aws-sdk/client-s3";

/**
 * How to build the `S3Client` when none is passed: plain, structured-cloneable values, so a
 * worker thread (the blocking wrappers) can rebuild the target. Anything not given falls back to
 * the SDK's own resolution: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`,
 * `AWS_PROFILE` and `~/.aws`, `AWS_REGION`, `AWS_ENDPOINT_URL_S3`, instance/container roles.
 */
export interface S3StorageOptions {
  /** S3-compatible endpoint, e.g. `http://127.0.0.1:9000` (MinIO, R2, s3rver). */
  endpoint?: string;
  /**
   * AWS region. When `endpoint` is set and neither this nor `AWS_REGION` is, `us-east-1`.
   */
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`); most S3-compatible servers need it. */
  forcePathStyle?: boolean;
  /** Static credentials. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Shorthand for `credentials.accessKeyId`. */
  accessKeyId?: string;
  /** Shorthand for `credentials.secretAccessKey`. */
  secretAccessKey?: string;
  /** Shorthand for `credentials.sessionToken`. */
  sessionToken?: string;
  /**
   * Any other `S3ClientConfig` field is passed to `new S3Client(...)` as is. The SDK's own
   * retries default to off (`maxAttempts: 1`) since the target retries itself.
   */
  [setting: string]: unknown;
}

/**
 * Options of {@link S3Target}.
 *
 * @example
 * ```ts
 * const target = createS3Target({
 *   bucket: "tasks",
 *   prefix: "omniq/prod",
 *   storageOptions: { region: "eu-west-1" },
 * });
 * ```
 */
export interface S3TargetOptions extends CloudRetryOptions {
  /** Bucket name. */
  bucket: string;
  /** Base directory inside the bucket (the queue's `baseDir`); `""` for the bucket root. */
  prefix?: string;
  /** How to build the client when `client` is not given. Never logged. */
  storageOptions?: S3StorageOptions;
  /**
   * A configured `S3Client` to use instead of building one. The target does not destroy it on
   * `close()`. Its own retry strategy runs inside each of the target's attempts.
   */
  client?: S3ClientLike;
  /**
   * How to import `@aws-sdk/client-s3` (e.g. for bundlers).
   * @defaultValue `() => import("@aws-sdk/client-s3")`
   */
  loadSdk?: SdkLoader;
}

interface S3Connection {
  sdk: S3Sdk;
  client: S3ClientLike;
  owned: boolean;
}

function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : undefined;
}

function isNoSuchKey(error: unknown): boolean {
  const name = errorName(error);
  return httpStatusOf(error) === 404 && (name === "NoSuchKey" || name === "NotFound");
}

/**
 * A storage target on Amazon S3 or an S3-compatible store, through `@aws-sdk/client-s3`
 * (loaded lazily). Every method is one request in the common case; conditional writes use
 * `If-None-Match: *` and `If-Match: <etag>`, versions are ETags.
 *
 * @example
 * ```ts
 * const target = new S3Target({ bucket: "tasks", prefix: "omniq", client: new S3Client({}) });
 * const version = await target.writeIfAbsent("a.json", bytes); // null if it existed
 * ```
 */
export class S3Target extends CloudTarget<S3Connection> {
  override readonly capabilities: TargetCapabilities = {
    crossProcess: true,
    orderedList: true,
    batchDelete: true,
  };
  readonly kind = "s3" as const;
  /** The bucket this target writes to. */
  readonly bucket: string;
  readonly #options: S3TargetOptions;

  constructor(options: S3TargetOptions) {
    const bucket = options?.bucket;
    if (typeof bucket !== "string" || bucket === "" || bucket.includes("/")) {
      throw new ValidationError(
        "bucket",
        `s3 target: bucket must be a non-empty name without "/", got ${JSON.stringify(bucket)}`,
      );
    }
    super("s3", {
      ...options,
      bucket,
      // A custom endpoint (MinIO, R2, a test server) tells stores apart; AWS is implied.
      host: options.client ? undefined : (options.storageOptions?.endpoint as string | undefined),
      prefix: options.prefix,
      storageOptions: options.storageOptions,
    });
    this.bucket = bucket;
    this.#options = options;
  }

  protected async connect(): Promise<S3Connection> {
    const sdk = await loadSdk<S3Sdk>(S3_SDK_PACKAGE, this.label, this.#options.loadSdk, isS3Sdk);
    if (this.#options.client) return { sdk, client: this.#options.client, owned: false };
    const { credentials, accessKeyId, secretAccessKey, sessionToken, ...rest } =
      this.#options.storageOptions ?? {};
    const config: Record<string, unknown> = { maxAttempts: 1, ...rest };
    if (credentials !== undefined) config.credentials = credentials;
    else if (accessKeyId !== undefined || secretAccessKey !== undefined) {
      config.credentials = {
        accessKeyId,
        secretAccessKey,
        ...(sessionToken === undefined ? {} : { sessionToken }),
      };
    }
    if (
      config.region === undefined &&
      config.endpoint !== undefined &&
      !process.env.AWS_REGION &&
      !process.env.AWS_DEFAULT_REGION
    ) {
      config.region = "us-east-1";
    }
    return { sdk, client: new sdk.S3Client(config), owned: true };
  }

  protected async disconnect(connection: S3Connection): Promise<void> {
    if (connection.owned) connection.client.destroy?.();
  }

  protected isTransient(error: unknown): boolean {
    // 409 ConditionalRequestConflict / OperationAborted: a concurrent conditional write on the
    // key was in progress; AWS says to retry.
    return isTransientError(error, ["ConditionalRequestConflict", "OperationAborted"]);
  }

  protected async getObject(
    c: S3Connection,
    name: string,
    signal: AbortSignal,
  ): Promise<StoredObject | null> {
    let out: S3GetOutput;
    try {
      out = (await c.client.send(new c.sdk.GetObjectCommand({ Bucket: this.bucket, Key: name }), {
        abortSignal: signal,
      })) as S3GetOutput;
    } catch (error) {
      if (isNoSuchKey(error)) return null;
      throw error;
    }
    const data = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    return { data, version: this.#version(out.ETag, "read", name) };
  }

  protected async putObject(
    c: S3Connection,
    name: string,
    data: Uint8Array,
    condition: PutCondition,
    signal: AbortSignal,
  ): Promise<string | null> {
    const input: Record<string, unknown> = { Bucket: this.bucket, Key: name, Body: data };
    if (condition.kind === "absent") input.IfNoneMatch = "*";
    if (condition.kind === "version") input.IfMatch = quoteEtag(condition.version);
    try {
      const out = (await c.client.send(new c.sdk.PutObjectCommand(input), {
        abortSignal: signal,
      })) as S3PutOutput;
      return this.#version(out.ETag, "write", name);
    } catch (error) {
      if (condition.kind !== "none") {
        // 412: it exists / another version; 404 NoSuchKey: If-Match on a key that is gone.
        if (httpStatusOf(error) === 412) return null;
        if (condition.kind === "version" && isNoSuchKey(error)) return null;
      }
      throw error;
    }
  }

  /** `DeleteObjects` (one request for up to 1000 keys; S3 does not bill deletes). */
  protected override async deleteObjects(
    c: S3Connection,
    names: readonly string[],
    signal: AbortSignal,
  ): Promise<void> {
    if (!c.sdk.DeleteObjectsCommand) {
      for (const name of names) await this.deleteObject(c, name, undefined, signal);
      return;
    }
    const out = (await c.client.send(
      new c.sdk.DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: names.map((Key) => ({ Key })), Quiet: true },
      }),
      { abortSignal: signal },
    )) as { Errors?: { Key?: string; Code?: string }[] };
    const failed = (out.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
    if (failed.length > 0) {
      throw new Error(
        `DeleteObjects: ${failed.length} of ${names.length} keys not deleted (${failed[0]!.Code})`,
      );
    }
  }

  protected async deleteObject(
    c: S3Connection,
    name: string,
    version: string | undefined,
    signal: AbortSignal,
  ): Promise<DeleteOutcome> {
    // `If-Match: *` makes S3 answer 404 for a missing key instead of a blind 204, so the
    // caller learns whether this call deleted it without a HEAD first.
    const IfMatch = version === undefined ? "*" : quoteEtag(version);
    try {
      await c.client.send(
        new c.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: name, IfMatch }),
        { abortSignal: signal },
      );
      return "deleted";
    } catch (error) {
      if (isNoSuchKey(error)) return "missing";
      if (httpStatusOf(error) === 412) return "mismatch";
      throw error;
    }
  }

  protected async listObjects(
    c: S3Connection,
    request: CloudListRequest,
    signal: AbortSignal,
  ): Promise<CloudListPage> {
    const input: Record<string, unknown> = {
      Bucket: this.bucket,
      MaxKeys: Math.min(request.limit, 1000),
    };
    if (request.prefix !== "") input.Prefix = request.prefix;
    if (request.cursor !== undefined) input.ContinuationToken = request.cursor;
    else if (request.startAfter !== undefined) input.StartAfter = request.startAfter;
    const out = (await c.client.send(new c.sdk.ListObjectsV2Command(input), {
      abortSignal: signal,
    })) as S3ListOutput;
    const entries: CloudListPage["entries"] = [];
    for (const item of out.Contents ?? []) {
      if (typeof item.Key !== "string") continue;
      entries.push(
        item.ETag ? { name: item.Key, version: bareEtag(item.ETag) } : { name: item.Key },
      );
    }
    const cursor = out.IsTruncated && out.NextContinuationToken ? out.NextContinuationToken : null;
    return { entries, cursor };
  }

  #version(etag: string | undefined, action: string, name: string): string {
    if (!etag) {
      throw this.configError(
        "endpoint",
        `${action} of "${name}" got no ETag; the S3 endpoint must return ETags`,
      );
    }
    return bareEtag(etag);
  }
}

/**
 * Builds an {@link S3Target}; what the `s3://bucket/prefix` URL scheme calls. The SDK is
 * loaded on first use.
 *
 * @example
 * ```ts
 * const target = createS3Target({
 *   bucket: "tasks",
 *   prefix: "omniq",
 *   storageOptions: { endpoint: "http://127.0.0.1:9000", forcePathStyle: true },
 * });
 * ```
 */
export function createS3Target(options: S3TargetOptions): S3Target {
  return new S3Target(options);
}

/**
 * Builds a S3Target from a plain-data spec (what `createTarget({ kind, bucket, prefix,
 * storageOptions })` and the blocking twins' worker threads call). `retries`,
 * `retryBaseDelayMs` and `retryMaxDelayMs` may be given inside `storageOptions`.
 */
export function createCloudTarget(spec: CloudTargetSpecLike): S3Target {
  const { retry, rest } = splitRetryOptions(spec.storageOptions);
  return createS3Target({
    bucket: spec.bucket,
    ...(spec.prefix === undefined ? {} : { prefix: spec.prefix }),
    ...(rest === undefined ? {} : { storageOptions: rest as S3StorageOptions }),
    ...retry,
  });
}
