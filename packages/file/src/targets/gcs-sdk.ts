/**
 * The slice of `@google-cloud/storage` the GCS target uses, typed here so that `@omniq/file`'s
 * public types do not depend on the SDK (users without it still typecheck).
 */

interface GcsPreconditions {
  ifGenerationMatch?: number | string;
}

/** The `response` event payload of `createReadStream` (headers of the media GET). */
export interface GcsResponseLike {
  headers?: unknown;
}

export interface GcsFileLike {
  readonly name: string;
  metadata: { generation?: string | number };
  createReadStream(options?: { validation?: boolean | string }): AsyncIterable<unknown> & {
    on(event: "response", listener: (response: GcsResponseLike) => void): unknown;
    destroy(error?: Error): unknown;
  };
  save(
    data: Uint8Array,
    options?: { resumable?: boolean; preconditionOpts?: GcsPreconditions },
  ): Promise<void>;
  delete(options?: GcsPreconditions): Promise<unknown>;
}

/** A raw request as `makeAuthenticatedRequest` takes it (teeny-request options). */
export interface GcsRawRequest {
  method: string;
  uri: string;
  headers: Record<string, string>;
  body: string;
  /** Retries inside the SDK; the target retries itself, so 0. */
  maxRetries: number;
  timeout?: number;
}

/** What `makeAuthenticatedRequest` answers: the body (text unless JSON) and the response. */
export type GcsRawCallback = (
  err: Error | null,
  body?: unknown,
  response?: { statusCode?: number; headers?: unknown },
) => void;

/**
 * The `Storage` behind a bucket: its endpoint and the SDK's authenticated request function,
 * which applies the client's credentials (or none on a custom endpoint, as the SDK does).
 */
export interface GcsStorageLike {
  apiEndpoint?: string;
  makeAuthenticatedRequest?(request: GcsRawRequest, callback: GcsRawCallback): unknown;
}

export interface GcsBucketLike {
  /** The client the bucket came from; used for batch requests. */
  readonly storage?: GcsStorageLike;
  file(name: string): GcsFileLike;
  getFiles(query?: {
    prefix?: string;
    maxResults?: number;
    pageToken?: string;
    autoPaginate?: boolean;
    startOffset?: string;
  }): Promise<[GcsFileLike[], unknown, unknown]>;
}

/**
 * Any client with `bucket(name)`: a `Storage` from `@google-cloud/storage`, configured however you
 * like (key file, workload identity, retry options).
 */
export interface GcsClientLike {
  bucket(name: string): GcsBucketLike;
}

/** What the target takes from the SDK module. */
export interface GcsSdk {
  Storage: new (options?: Record<string, unknown>) => GcsClientLike;
}

export function isGcsSdk(mod: Record<string, unknown>): boolean {
  return typeof mod.Storage === "function";
}
