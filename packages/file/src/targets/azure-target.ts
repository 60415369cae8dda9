import { ValidationError } from "@omniq/core";
import {
  type AzureBatchSubResponseLike,
  type AzureBlobServiceClientLike,
  type AzureContainerClientLike,
  type AzureSdk,
  isAzureSdk,
} from "./azure-sdk.js";
import { BatchPartError, batchError } from "./batch-part-error.js";
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
import type { StoredObject, TargetCapabilities } from "./storage-target.js";

export type { AzureBlobServiceClientLike } from "./azure-sdk.js";

/** The SDK package the Azure target loads (an optional peer dependency of `@omniq/file`). */
export const AZURE_SDK_PACKAGE = "@azure/storage-blob";

/**
 * How to build the `BlobServiceClient` when none is passed, as plain, structured-cloneable values
 * (so a worker thread can rebuild the target), tried in this order:
 * `connectionString`; `accountName` + `accountKey`; `url` (+ `sasToken`, or a SAS already in
 * the URL); `url` or `accountName` + `credential` (e.g. `DefaultAzureCredential`, not cloneable);
 * else the `AZURE_STORAGE_CONNECTION_STRING` environment variable.
 */
export interface AzureStorageOptions {
  /** `DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=...` */
  connectionString?: string;
  accountName?: string;
  accountKey?: string;
  /** Blob service URL; defaults to `https://<accountName>.blob.core.windows.net`. */
  url?: string;
  /** A SAS token (with or without the leading `?`), appended to `url`. */
  sasToken?: string;
  /** A `TokenCredential` from `@azure/identity` (not structured-cloneable). */
  credential?: object;
  /**
   * Any other field is passed to the SDK as `StoragePipelineOptions` (proxy, keep-alive,
   * user agent). The SDK's own retries default to off (`retryOptions: { maxTries: 1 }`)
   * since the target retries itself.
   */
  [setting: string]: unknown;
}

/**
 * Options of {@link AzureTarget}.
 *
 * @example
 * ```ts
 * const target = createAzureTarget({
 *   container: "tasks",
 *   prefix: "omniq/prod",
 *   storageOptions: { connectionString: process.env.AZURE_STORAGE_CONNECTION_STRING },
 * });
 * ```
 */
export interface AzureTargetOptions extends CloudRetryOptions {
  /** Container name (3-63 characters). */
  container: string;
  /** Base directory inside the container (the queue's `baseDir`); `""` for the root. */
  prefix?: string;
  /** How to build the client when `client` is not given. Never logged. */
  storageOptions?: AzureStorageOptions;
  /** A configured `BlobServiceClient` to use instead of building one. */
  client?: AzureBlobServiceClientLike;
  /**
   * How to import `@azure/storage-blob` (e.g. for bundlers).
   * @defaultValue `() => import("@azure/storage-blob")`
   */
  loadSdk?: SdkLoader;
  /**
   * `deleteMany` as Blob Batch requests (up to 256 Delete Blob sub-requests each). `false` sends
   * one Delete Blob per key (e.g. for accounts that refuse batches). The target also turns
   * batching off by itself when the service refuses the batch request as such (see the docs).
   * @defaultValue true
   */
  batchDelete?: boolean;
}

/** Most sub-requests one Blob Batch takes. */
export const AZURE_BATCH_LIMIT = 256;

/** The blob service URL or account name, for the target's id (never the key or SAS). */
function azureAccount(options: AzureTargetOptions): string | undefined {
  const fromClient = (options.client as { url?: unknown } | undefined)?.url;
  if (typeof fromClient === "string") return fromClient;
  const so = options.storageOptions ?? {};
  if (typeof so.url === "string") return so.url;
  const cs = so.connectionString;
  if (typeof cs === "string") {
    const parts = new Map(
      cs.split(";").map((part) => {
        const eq = part.indexOf("=");
        return [part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim()] as const;
      }),
    );
    return parts.get("blobendpoint") ?? parts.get("accountname");
  }
  return typeof so.accountName === "string" ? so.accountName : undefined;
}

function azureCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; details?: { errorCode?: unknown } } | null;
  if (typeof e?.code === "string") return e.code;
  if (typeof e?.details?.errorCode === "string") return e.details.errorCode;
  return undefined;
}

/**
 * The service refuses the batch request itself: `501`, a `400` naming `comp=batch` or the body
 * (emulators without it, Azurite issues #287, #2309, #2509), `FeatureNotSupported`, or an answer
 * the SDK cannot parse (`Invalid state: ...`, `batchResponse is malformed`).
 */
function isBatchUnsupported(error: unknown): boolean {
  const status = httpStatusOf(error);
  const code = azureCode(error);
  if (status === 501 || code === "FeatureNotSupported" || code === "NotImplemented") return true;
  if (
    status === 400 &&
    (code === "InvalidQueryParameterValue" ||
      code === "UnsupportedQueryParameter" ||
      code === "InvalidInput")
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : "";
  return status === undefined && /^(Invalid state: |batchResponse is malformed)/.test(message);
}

function isBlobNotFound(error: unknown): boolean {
  // ContainerNotFound (also 404) is a configuration problem, not a missing key.
  return httpStatusOf(error) === 404 && azureCode(error) !== "ContainerNotFound";
}

async function readAll(body: AsyncIterable<Uint8Array | string> | undefined): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/**
 * A storage target on Azure Blob Storage (block blobs), through `@azure/storage-blob` (loaded
 * lazily). Every method is one request in the common case; conditional writes use
 * `ifNoneMatch: "*"` and `ifMatch: <etag>`, versions are ETags.
 *
 * @example
 * ```ts
 * const target = new AzureTarget({
 *   container: "tasks",
 *   client: BlobServiceClient.fromConnectionString(connectionString),
 * });
 * ```
 */
export class AzureTarget extends CloudTarget<AzureContainerClientLike> {
  /**
   * `batchDelete`: `deleteMany` sends one Blob Batch per 256 keys (see
   * {@link AzureTargetOptions.batchDelete}); it turns `false` if the service refuses batches.
   */
  override readonly capabilities: TargetCapabilities;
  readonly kind = "azure" as const;
  /** The container this target writes to. */
  readonly container: string;
  readonly #options: AzureTargetOptions;

  constructor(options: AzureTargetOptions) {
    const container = options?.container;
    if (typeof container !== "string" || !/^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/.test(container)) {
      throw new ValidationError(
        "container",
        `azure target: container must be 3-63 lower-case letters, digits and "-", got ${JSON.stringify(container)}`,
      );
    }
    super("azure", {
      ...options,
      bucket: container,
      host: azureAccount(options),
      prefix: options.prefix,
      storageOptions: options.storageOptions,
    });
    this.container = container;
    this.#options = options;
    this.capabilities = {
      crossProcess: true,
      orderedList: true,
      batchDelete: options.batchDelete ?? true,
      deleteBatchLimit: AZURE_BATCH_LIMIT,
    };
  }

  /** One Blob Batch (`POST ?restype=container&comp=batch`) of up to 256 Delete Blob calls. */
  protected override async deleteObjects(
    container: AzureContainerClientLike,
    names: readonly string[],
    signal: AbortSignal,
  ): Promise<void> {
    if (!this.capabilities.batchDelete || typeof container.getBlobBatchClient !== "function") {
      return this.deleteEachObject(container, names, signal);
    }
    const client = container.getBlobBatchClient();
    const batch = client.createBatch();
    // Assembling signs each sub-request locally (no I/O); the submit is the one request.
    for (const name of names) await batch.deleteBlob(container.getBlockBlobClient(name));
    let subResponses: (AzureBatchSubResponseLike | undefined)[];
    try {
      ({ subResponses } = await client.submitBatch(batch, { abortSignal: signal }));
    } catch (error) {
      if (!isBatchUnsupported(error)) throw error;
      return this.deleteEachObject(container, names, signal);
    }
    const failures: BatchPartError[] = [];
    names.forEach((name, i) => {
      const sub = subResponses[i];
      if (sub === undefined) {
        failures.push(
          new BatchPartError(`Delete Blob "${name}": no answer in the batch`, undefined),
        );
        return;
      }
      if (sub.status >= 200 && sub.status < 300) return;
      // 404 BlobNotFound: already gone. ContainerNotFound is a configuration problem.
      if (sub.status === 404 && sub.errorCode !== "ContainerNotFound") return;
      const detail = [sub.errorCode, sub.statusMessage].filter(Boolean).join(": ");
      failures.push(
        new BatchPartError(
          `Delete Blob "${name}": ${sub.status} ${detail}`,
          sub.status,
          sub.errorCode,
        ),
      );
    });
    const failure = batchError(failures, names.length, (e) => this.isTransient(e));
    if (failure) throw failure;
  }

  protected async connect(): Promise<AzureContainerClientLike> {
    const service = this.#options.client ?? (await this.#buildService());
    return service.getContainerClient(this.container);
  }

  async #buildService(): Promise<AzureBlobServiceClientLike> {
    const sdk = await loadSdk<AzureSdk>(
      AZURE_SDK_PACKAGE,
      this.label,
      this.#options.loadSdk,
      isAzureSdk,
    );
    const { connectionString, accountName, accountKey, url, sasToken, credential, ...rest } =
      this.#options.storageOptions ?? {};
    const pipeline: Record<string, unknown> = { retryOptions: { maxTries: 1 }, ...rest };
    const serviceUrl =
      url ?? (accountName ? `https://${accountName}.blob.core.windows.net` : undefined);
    if (connectionString) {
      return sdk.BlobServiceClient.fromConnectionString(connectionString, pipeline);
    }
    if (accountName && accountKey && serviceUrl) {
      const shared = new sdk.StorageSharedKeyCredential(accountName, accountKey);
      return new sdk.BlobServiceClient(serviceUrl, shared, pipeline);
    }
    if (serviceUrl && credential) {
      return new sdk.BlobServiceClient(serviceUrl, credential, pipeline);
    }
    if (serviceUrl && (sasToken || serviceUrl.includes("?"))) {
      const sas = sasToken ? `?${sasToken.replace(/^\?/, "")}` : "";
      return new sdk.BlobServiceClient(`${serviceUrl}${sas}`, undefined, pipeline);
    }
    const fromEnv = process.env.AZURE_STORAGE_CONNECTION_STRING;
    if (fromEnv) return sdk.BlobServiceClient.fromConnectionString(fromEnv, pipeline);
    throw this.configError(
      "storageOptions",
      "no credentials: set storageOptions.connectionString, accountName + accountKey, " +
        "url + sasToken, url + credential, pass a client, or set AZURE_STORAGE_CONNECTION_STRING",
    );
  }

  protected async disconnect(): Promise<void> {
    // The SDK holds no resources beyond keep-alive sockets that close on their own.
  }

  protected isTransient(error: unknown): boolean {
    return isTransientError(error);
  }

  protected async getObject(
    container: AzureContainerClientLike,
    name: string,
    signal: AbortSignal,
  ): Promise<StoredObject | null> {
    try {
      const blob = container.getBlockBlobClient(name);
      // One GET; the SDK's own re-download on a broken stream is off, the target retries.
      const res = await blob.download(0, undefined, { maxRetryRequests: 0, abortSignal: signal });
      const data = await readAll(res.readableStreamBody);
      return { data, version: this.#version(res.etag, "read", name) };
    } catch (error) {
      if (isBlobNotFound(error)) return null;
      throw error;
    }
  }

  protected async putObject(
    container: AzureContainerClientLike,
    name: string,
    data: Uint8Array,
    condition: PutCondition,
    signal: AbortSignal,
  ): Promise<string | null> {
    const conditions =
      condition.kind === "absent"
        ? { ifNoneMatch: "*" }
        : condition.kind === "version"
          ? { ifMatch: quoteEtag(condition.version) }
          : undefined;
    try {
      const blob = container.getBlockBlobClient(name);
      const res = await blob.upload(
        data,
        data.byteLength,
        conditions ? { conditions, abortSignal: signal } : { abortSignal: signal },
      );
      return this.#version(res.etag, "write", name);
    } catch (error) {
      if (condition.kind !== "none") {
        const status = httpStatusOf(error);
        // 409 BlobAlreadyExists (ifNoneMatch), 412 ConditionNotMet, 404 gone (ifMatch).
        if (status === 412) return null;
        if (status === 409 && azureCode(error) === "BlobAlreadyExists") return null;
        if (condition.kind === "version" && isBlobNotFound(error)) return null;
      }
      throw error;
    }
  }

  protected async deleteObject(
    container: AzureContainerClientLike,
    name: string,
    version: string | undefined,
    signal: AbortSignal,
  ): Promise<DeleteOutcome> {
    try {
      const blob = container.getBlockBlobClient(name);
      await blob.delete(
        version === undefined
          ? { abortSignal: signal }
          : { conditions: { ifMatch: quoteEtag(version) }, abortSignal: signal },
      );
      return "deleted";
    } catch (error) {
      if (isBlobNotFound(error)) return "missing";
      if (httpStatusOf(error) === 412) return "mismatch";
      throw error;
    }
  }

  protected async listObjects(
    container: AzureContainerClientLike,
    request: CloudListRequest,
    signal: AbortSignal,
  ): Promise<CloudListPage> {
    // Azure has no start-after: keys up to `startAfter` are dropped from each page here, and
    // `startAfter` travels inside the cursor. Pages before it may come back empty, with a cursor.
    let token: string | undefined;
    let after = request.startAfter;
    if (request.cursor !== undefined) [token, after] = this.#decodeCursor(request.cursor);
    const pages = container
      .listBlobsFlat(
        request.prefix === ""
          ? { abortSignal: signal }
          : { prefix: request.prefix, abortSignal: signal },
      )
      .byPage({
        maxPageSize: Math.min(request.limit, 5000),
        ...(token === undefined ? {} : { continuationToken: token }),
      });
    const first = await pages.next();
    if (first.done || !first.value) return { entries: [], cursor: null };
    const page = first.value;
    const entries: CloudListPage["entries"] = [];
    for (const item of page.segment.blobItems) {
      if (after !== undefined && item.name <= after) continue;
      const etag = item.properties.etag;
      entries.push(etag ? { name: item.name, version: bareEtag(etag) } : { name: item.name });
    }
    const next = page.continuationToken;
    return {
      entries,
      cursor: next ? JSON.stringify(after === undefined ? [next] : [next, after]) : null,
    };
  }

  #decodeCursor(cursor: string): [string, string | undefined] {
    try {
      const parsed: unknown = JSON.parse(cursor);
      if (
        Array.isArray(parsed) &&
        typeof parsed[0] === "string" &&
        (parsed[1] === undefined || typeof parsed[1] === "string")
      ) {
        return [parsed[0], parsed[1]];
      }
    } catch {
      // fall through
    }
    throw new ValidationError("cursor", `${this.label}: cursor was not made by this target`);
  }

  #version(etag: string | undefined, action: string, name: string): string {
    if (!etag) throw this.configError("url", `${action} of "${name}" got no ETag from the service`);
    return bareEtag(etag);
  }
}

/**
 * Builds an {@link AzureTarget}; what the `azure://container/prefix` URL scheme calls. The SDK
 * is loaded on first use.
 *
 * @example
 * ```ts
 * const target = createAzureTarget({
 *   container: "tasks",
 *   storageOptions: { accountName: "myaccount", accountKey: process.env.AZURE_KEY },
 * });
 * ```
 */
export function createAzureTarget(options: AzureTargetOptions): AzureTarget {
  return new AzureTarget(options);
}

/**
 * Builds a AzureTarget from a plain-data spec (what `createTarget({ kind, bucket, prefix,
 * storageOptions })` and the blocking twins' worker threads call). `retries`,
 * `retryBaseDelayMs` and `retryMaxDelayMs` may be given inside `storageOptions`.
 */
export function createCloudTarget(spec: CloudTargetSpecLike): AzureTarget {
  const { retry, rest } = splitRetryOptions(spec.storageOptions);
  return createAzureTarget({
    container: spec.bucket,
    ...(spec.prefix === undefined ? {} : { prefix: spec.prefix }),
    ...(rest === undefined ? {} : { storageOptions: rest as AzureStorageOptions }),
    ...retry,
  });
}
