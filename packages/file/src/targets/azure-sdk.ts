/**
 * The slice of `@azure/storage-blob` the Azure target uses, typed here so that `@omniq/file`'s
 * public types do not depend on the SDK (users without it still typecheck).
 */

interface AzureConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export interface AzureBlockBlobClientLike {
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

export interface AzureContainerClientLike {
  getBlockBlobClient(blobName: string): AzureBlockBlobClientLike;
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
