/**
 * The slice of `@azure/storage-blob` the Azure target uses, typed here so that `@omniq/file`'s
 * public types do not depend on the SDK (users without it still typecheck).
 */

interface AzureConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export interface AzureBlockBlobClientLike {
  /** The blob's URL (a SAS included); a batch sub-request addresses the blob by it. */
  readonly url: string;
  download(
    offset?: number,
    count?: number,
    options?: { maxRetryRequests?: number; abortSignal?: AbortSignal },
  ): Promise<{ etag?: string; readableStreamBody?: AsyncIterable<Uint8Array | string> }>;
  upload(
    body: Uint8Array,
    contentLength: number,
    options?: { conditions?: AzureConditions; abortSignal?: AbortSignal },
  ): Promise<{ etag?: string }>;
  delete(options?: { conditions?: AzureConditions; abortSignal?: AbortSignal }): Promise<unknown>;
}

export interface AzureListPageLike {
  segment: { blobItems: { name: string; properties: { etag?: string } }[] };
  continuationToken?: string;
}

/** One sub-response of a Blob Batch (`202` deleted, `404 BlobNotFound`, ...). */
export interface AzureBatchSubResponseLike {
  status: number;
  statusMessage?: string;
  errorCode?: string;
}

/** A `BlobBatch` being assembled: sub-requests are signed with the blob client's credential. */
export interface AzureBlobBatchLike {
  deleteBlob(blob: { readonly url: string }): Promise<unknown>;
}

/** `containerClient.getBlobBatchClient()`: `POST <container>?restype=container&comp=batch`. */
export interface AzureBlobBatchClientLike {
  createBatch(): AzureBlobBatchLike;
  submitBatch(
    batch: AzureBlobBatchLike,
    options?: { abortSignal?: AbortSignal },
  ): Promise<{ subResponses: (AzureBatchSubResponseLike | undefined)[] }>;
}

export interface AzureContainerClientLike {
  getBlockBlobClient(blobName: string): AzureBlockBlobClientLike;
  /** Absent on hand-made clients: `deleteMany` then deletes one blob per request. */
  getBlobBatchClient?(): AzureBlobBatchClientLike;
  listBlobsFlat(options?: { prefix?: string; abortSignal?: AbortSignal }): {
    byPage(settings?: {
      continuationToken?: string;
      maxPageSize?: number;
    }): AsyncIterableIterator<AzureListPageLike>;
  };
}

/**
 * Any client with `getContainerClient(name)`: a `BlobServiceClient` from `@azure/storage-blob`,
 * configured however you like (`DefaultAzureCredential`, SAS, proxy, retry options).
 */
export interface AzureBlobServiceClientLike {
  getContainerClient(containerName: string): AzureContainerClientLike;
}

/** What the target takes from the SDK module. */
export interface AzureSdk {
  BlobServiceClient: {
    new (
      url: string,
      credential?: unknown,
      options?: Record<string, unknown>,
    ): AzureBlobServiceClientLike;
    fromConnectionString(
      connectionString: string,
      options?: Record<string, unknown>,
    ): AzureBlobServiceClientLike;
  };
  StorageSharedKeyCredential: new (accountName: string, accountKey: string) => unknown;
}

export function isAzureSdk(mod: Record<string, unknown>): boolean {
  return (
    typeof mod.BlobServiceClient === "function" &&
    typeof mod.StorageSharedKeyCredential === "function"
  );
}
