import { ValidationError } from "@omniq/core";
import { BatchPartError, batchError } from "./batch-part-error.js";
import { httpStatusOf, isTransientError } from "./cloud-errors.js";
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
  deleteBatchRequest,
  errorMessageOf,
  GCS_BATCH_LIMIT,
  parseBatchResponse,
  sendRaw,
} from "./gcs-batch.js";
import {
  type GcsBucketLike,
  type GcsClientLike,
  type GcsResponseLike,
  type GcsSdk,
  isGcsSdk,
} from "./gcs-sdk.js";
import type { StoredObject, TargetCapabilities } from "./storage-target.js";

export type { GcsClientLike } from "./gcs-sdk.js";

/** The SDK package the GCS target loads (an optional peer dependency of `@omniq/file`). */
export const GCS_SDK_PACKAGE = "@google-cloud/storage";

/**
 * How to build the `Storage` client when none is passed: plain, structured-cloneable values (so
 * a worker thread can rebuild the target), passed to `new Storage(...)`. Anything not given falls
 * back to the SDK's own resolution: `GOOGLE_APPLICATION_CREDENTIALS`, workload identity /
 * metadata server, `GCLOUD_PROJECT`, `STORAGE_EMULATOR_HOST`.
 */
export interface GcsStorageOptions {
  /** e.g. `http://127.0.0.1:4443` for an emulator; a custom endpoint skips authentication. */
  apiEndpoint?: string;
  projectId?: string;
  /** Path of a service-account key file. */
  keyFilename?: string;
  /** Service-account key fields. */
  credentials?: { client_email?: string; private_key?: string; [field: string]: unknown };
  /**
   * Any other `StorageOptions` field is passed to `new Storage(...)` as is. The SDK's own
   * retries default to off (`retryOptions: { autoRetry: false }`) since the target retries itself.
   */
  [setting: string]: unknown;
}

/**
 * Options of {@link GcsTarget}.
 *
 * @example
 * ```ts
 * const target = createGcsTarget({ bucket: "tasks", prefix: "omniq/prod" });
 * ```
 */
export interface GcsTargetOptions extends CloudRetryOptions {
  /** Bucket name. */
  bucket: string;
  /** Base directory inside the bucket (the queue's `baseDir`); `""` for the bucket root. */
  prefix?: string;
  /** How to build the client when `client` is not given. Never logged. */
  storageOptions?: GcsStorageOptions;
  /** A configured `Storage` to use instead of building one. */
  client?: GcsClientLike;
  /**
   * How to import `@google-cloud/storage` (e.g. for bundlers).
   * @defaultValue `() => import("@google-cloud/storage")`
   */
  loadSdk?: SdkLoader;
  /**
   * `deleteMany` as JSON API batch requests (`POST /batch/storage/v1`, up to 100 DELETEs each).
   * `false` sends one DELETE per key. The target also turns batching off by itself when the
   * endpoint answers the batch path with 404, 405 or 501 (an emulator without it).
   * @defaultValue true
   */
  batchDelete?: boolean;
}

function header(response: GcsResponseLike, name: string): string | undefined {
  const headers = response.headers as
    | { get?: (n: string) => string | null; [n: string]: unknown }
    | undefined;
  if (!headers) return undefined;
  const value = typeof headers.get === "function" ? headers.get(name) : headers[name];
  return typeof value === "string" ? value : undefined;
}

function generationOf(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return undefined;
}

/** A missing bucket is a configuration problem, not a missing key. */
const MISSING_BUCKET = /bucket does not exist|no such bucket/i;

function isObjectNotFound(error: unknown): boolean {
  if (httpStatusOf(error) !== 404) return false;
  const message = error instanceof Error ? error.message : "";
  return !MISSING_BUCKET.test(message);
}

/** The batch endpoint itself is missing (an emulator without batch support). */
function isBatchUnsupported(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status === 404 || status === 405 || status === 501;
}

const DEFAULT_GCS_ENDPOINT = "https://storage.googleapis.com";

/** Key-based cursors: the last object name returned; the next page starts after it. */
const CURSOR_PREFIX = "after:";

/**
 * A storage target on Google Cloud Storage, through `@google-cloud/storage` (loaded lazily).
 * Every method is one request in the common case; conditional writes use `ifGenerationMatch`
 * (`0` = must not exist), versions are generations, uploads are single-request
 * (`resumable: false`).
 *
 * @example
 * ```ts
 * const target = new GcsTarget({ bucket: "tasks", client: new Storage() });
 * ```
 */
export class GcsTarget extends CloudTarget<GcsBucketLike> {
  /**
   * `batchDelete`: `deleteMany` sends one batch request per 100 keys (see
   * {@link GcsTargetOptions.batchDelete}); it turns `false` if the endpoint has no batch path.
   */
  override readonly capabilities: TargetCapabilities;
  readonly kind = "gcs" as const;
  /** The bucket this target writes to. */
  readonly bucket: string;
  readonly #options: GcsTargetOptions;

  constructor(options: GcsTargetOptions) {
    const bucket = options?.bucket;
    if (typeof bucket !== "string" || bucket === "" || bucket.includes("/")) {
      throw new ValidationError(
        "bucket",
        `gcs target: bucket must be a non-empty name without "/", got ${JSON.stringify(bucket)}`,
      );
    }
    const endpoint = options.client
      ? (options.client as { apiEndpoint?: unknown }).apiEndpoint
      : options.storageOptions?.apiEndpoint;
    super("gcs", {
      ...options,
      bucket,
      host: endpoint === DEFAULT_GCS_ENDPOINT ? undefined : (endpoint as string | undefined),
      prefix: options.prefix,
      storageOptions: options.storageOptions,
    });
    this.bucket = bucket;
    this.#options = options;
    this.capabilities = {
      crossProcess: true,
      orderedList: true,
      batchDelete: options.batchDelete ?? true,
      deleteBatchLimit: GCS_BATCH_LIMIT,
    };
  }

  /** One `POST /batch/storage/v1` of up to 100 unconditional DELETEs. */
  protected override async deleteObjects(
    bucket: GcsBucketLike,
    names: readonly string[],
    signal: AbortSignal,
  ): Promise<void> {
    const storage = bucket.storage;
    if (!this.capabilities.batchDelete || typeof storage?.makeAuthenticatedRequest !== "function") {
      // A client without the SDK's request function: one DELETE per key from now on.
      return this.deleteEachObject(bucket, names, signal);
    }
    const endpoint = (storage.apiEndpoint ?? DEFAULT_GCS_ENDPOINT).replace(/\/+$/, "");
    const pathPrefix = new URL(endpoint).pathname.replace(/\/+$/, "");
    const batch = deleteBatchRequest(pathPrefix, this.bucket, names);
    let answer: { contentType: string | undefined; text: string };
    try {
      answer = await sendRaw(
        storage,
        {
          method: "POST",
          uri: `${endpoint}/batch/storage/v1`,
          headers: {
            "Content-Type": batch.contentType,
            "Content-Length": String(Buffer.byteLength(batch.body)),
          },
          body: batch.body,
          maxRetries: 0,
          ...(this.attemptTimeoutMs > 0 ? { timeout: this.attemptTimeoutMs } : {}),
        },
        signal,
      );
    } catch (error) {
      if (!isBatchUnsupported(error)) throw error;
      return this.deleteEachObject(bucket, names, signal);
    }
    const parts = parseBatchResponse(answer.contentType, answer.text, names.length);
    const failures: BatchPartError[] = [];
    parts.forEach((part, i) => {
      const name = names[i] as string;
      if (part === undefined) {
        failures.push(new BatchPartError(`DELETE "${name}": no answer in the batch`, undefined));
        return;
      }
      if (part.status >= 200 && part.status < 300) return;
      const message = errorMessageOf(part.body);
      if (part.status === 404 && !MISSING_BUCKET.test(message)) return; // already gone
      failures.push(new BatchPartError(`DELETE "${name}": ${message}`, part.status));
    });
    const failure = batchError(failures, names.length, (e) => this.isTransient(e));
    if (failure) throw failure;
  }

  protected async connect(): Promise<GcsBucketLike> {
    if (this.#options.client) return this.#options.client.bucket(this.bucket);
    const sdk = await loadSdk<GcsSdk>(GCS_SDK_PACKAGE, this.label, this.#options.loadSdk, isGcsSdk);
    // The SDK takes no abort signal on uploads, deletes and listings: its own request timeout
    // ends those attempts (the target's time limit still applies on top).
    const storage = new sdk.Storage({
      retryOptions: { autoRetry: false },
      ...(this.attemptTimeoutMs > 0 ? { timeout: this.attemptTimeoutMs } : {}),
      ...this.#options.storageOptions,
    });
    return storage.bucket(this.bucket);
  }

  protected async disconnect(): Promise<void> {
    // The SDK holds no resources beyond keep-alive sockets that close on their own.
  }

  protected isTransient(error: unknown): boolean {
    return isTransientError(error);
  }

  protected async getObject(
    bucket: GcsBucketLike,
    name: string,
    signal: AbortSignal,
  ): Promise<StoredObject | null> {
    let generation: string | undefined;
    const chunks: Buffer[] = [];
    try {
      // One media GET (`alt=media`); the generation comes back as `x-goog-generation`.
      const stream = bucket.file(name).createReadStream();
      stream.on("response", (response) => {
        generation = header(response, "x-goog-generation");
      });
      signal.addEventListener("abort", () => stream.destroy(signal.reason as Error), {
        once: true,
      });
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
    } catch (error) {
      if (isObjectNotFound(error)) return null;
      throw error;
    }
    if (generation === undefined) {
      throw this.configError("apiEndpoint", `read of "${name}" got no x-goog-generation header`);
    }
    const data = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    return { data, version: generation };
  }

  protected async putObject(
    bucket: GcsBucketLike,
    name: string,
    data: Uint8Array,
    condition: PutCondition,
    _signal: AbortSignal,
  ): Promise<string | null> {
    const file = bucket.file(name);
    const ifGenerationMatch =
      condition.kind === "absent"
        ? 0
        : condition.kind === "version"
          ? condition.version
          : undefined;
    try {
      await file.save(data, {
        resumable: false,
        ...(ifGenerationMatch === undefined ? {} : { preconditionOpts: { ifGenerationMatch } }),
      });
    } catch (error) {
      // 412 conditionNotMet: it exists (generation 0) or has another generation / is gone.
      if (condition.kind !== "none" && httpStatusOf(error) === 412) return null;
      throw error;
    }
    const generation = generationOf(file.metadata.generation);
    if (generation === undefined) {
      throw this.configError("apiEndpoint", `write of "${name}" got no generation back`);
    }
    return generation;
  }

  protected async deleteObject(
    bucket: GcsBucketLike,
    name: string,
    version: string | undefined,
    _signal: AbortSignal,
  ): Promise<DeleteOutcome> {
    try {
      await bucket.file(name).delete(version === undefined ? {} : { ifGenerationMatch: version });
      return "deleted";
    } catch (error) {
      if (isObjectNotFound(error)) return "missing";
      if (httpStatusOf(error) === 412) return "mismatch";
      throw error;
    }
  }

  protected async listObjects(
    bucket: GcsBucketLike,
    request: CloudListRequest,
    _signal: AbortSignal,
  ): Promise<CloudListPage> {
    // `startOffset` is inclusive, so ask for one more and drop the start key itself: pages stay
    // full, and the cursor is simply the last name returned.
    let start = request.startAfter;
    if (request.cursor !== undefined) {
      if (!request.cursor.startsWith(CURSOR_PREFIX)) {
        throw new ValidationError("cursor", `${this.label}: cursor was not made by this target`);
      }
      start = request.cursor.slice(CURSOR_PREFIX.length);
    }
    const limit = Math.min(request.limit, 1000);
    const [files, nextQuery] = await bucket.getFiles({
      autoPaginate: false,
      maxResults: start === undefined ? limit : limit + 1,
      ...(request.prefix === "" ? {} : { prefix: request.prefix }),
      ...(start === undefined ? {} : { startOffset: start }),
    });
    let entries: CloudListPage["entries"] = [];
    for (const file of files) {
      if (start !== undefined && file.name <= start) continue;
      const version = generationOf(file.metadata.generation);
      entries.push(version === undefined ? { name: file.name } : { name: file.name, version });
    }
    const more = nextQuery !== null && nextQuery !== undefined;
    const trimmed = entries.length > limit;
    if (trimmed) entries = entries.slice(0, limit);
    // A short page can still have more after it: continue after the last name seen.
    const after = entries.at(-1)?.name ?? files.at(-1)?.name ?? start;
    const cursor = (more || trimmed) && after !== undefined ? `${CURSOR_PREFIX}${after}` : null;
    return { entries, cursor };
  }
}

/**
 * Builds a {@link GcsTarget}; what the `gs://bucket/prefix` URL scheme calls. The SDK is loaded
 * on first use.
 *
 * @example
 * ```ts
 * const target = createGcsTarget({
 *   bucket: "tasks",
 *   storageOptions: { projectId: "my-project", keyFilename: "/secrets/sa.json" },
 * });
 * ```
 */
export function createGcsTarget(options: GcsTargetOptions): GcsTarget {
  return new GcsTarget(options);
}

/**
 * Builds a GcsTarget from a plain-data spec (what `createTarget({ kind, bucket, prefix,
 * storageOptions })` and the blocking twins' worker threads call). `retries`,
 * `retryBaseDelayMs` and `retryMaxDelayMs` may be given inside `storageOptions`.
 */
export function createCloudTarget(spec: CloudTargetSpecLike): GcsTarget {
  const { retry, rest } = splitRetryOptions(spec.storageOptions);
  return createGcsTarget({
    bucket: spec.bucket,
    ...(spec.prefix === undefined ? {} : { prefix: spec.prefix }),
    ...(rest === undefined ? {} : { storageOptions: rest as GcsStorageOptions }),
    ...retry,
  });
}
