import type { StorageTarget } from "@omniq/file";

/** A started test server and how to build a target (and count requests) on it. */
export interface CloudServer {
  kind: "s3" | "azure" | "gcs";
  label: string;
  /** A target under a fresh prefix. */
  target(prefix: string): Promise<StorageTarget>;
  /** Requests the server itself counted so far (S3 and GCS test servers); `null` on Azurite. */
  serverCount(): number | null;
  stop(): Promise<void>;
}

const BUCKET = "omniq-bench";

/**
 * Starts the S3, Azure and GCS test servers of `@omniq/test-utils` on 127.0.0.1 (s3rver
 * behind its conditional-write layer, Azurite, the GCS JSON-API server).
 */
export async function startCloud(kind: CloudServer["kind"]): Promise<CloudServer> {
  const utils = await import("@omniq/test-utils");
  const { createTarget } = await import("@omniq/file");
  switch (kind) {
    case "s3": {
      const s3 = await utils.startS3();
      await s3.bucket(BUCKET);
      return {
        kind,
        label: "S3 (s3rver + conditional layer)",
        target: (prefix) =>
          createTarget({
            kind: "s3",
            bucket: BUCKET,
            prefix,
            storageOptions: {
              endpoint: s3.endpoint,
              region: s3.region,
              forcePathStyle: true,
              credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
            },
          }),
        serverCount: () => s3.requestCount(),
        stop: () => s3.stop(),
      };
    }
    case "azure": {
      const azurite = await utils.startAzurite();
      const { BlobServiceClient } = await import("@azure/storage-blob");
      await BlobServiceClient.fromConnectionString(azurite.connectionString)
        .getContainerClient(BUCKET)
        .createIfNotExists();
      return {
        kind,
        label: "Azure (Azurite)",
        target: (prefix) =>
          createTarget({
            kind: "azure",
            bucket: BUCKET,
            prefix,
            storageOptions: { connectionString: azurite.connectionString },
          }),
        serverCount: () => null,
        stop: () => azurite.stop(),
      };
    }
    case "gcs": {
      const gcs = await utils.startGcs();
      await gcs.bucket(BUCKET);
      return {
        kind,
        label: "GCS (JSON-API test server)",
        target: (prefix) =>
          createTarget({
            kind: "gcs",
            bucket: BUCKET,
            prefix,
            storageOptions: { apiEndpoint: gcs.apiEndpoint, projectId: gcs.projectId },
          }),
        serverCount: () => gcs.requestCount(),
        stop: () => gcs.stop(),
      };
    }
  }
}
