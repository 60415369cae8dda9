import { BlobServiceClient } from "@azure/storage-blob";
import {
  type AzuriteServer,
  type GcsServer,
  type S3Server,
  startAzurite,
  startGcs,
  startS3,
} from "@omniq/test-utils";

export type CloudKind = "s3" | "azure" | "gcs";

/** Where a file queue on a cloud test server lives (what `FileBackend` and the queues take). */
export interface CloudWhere {
  url: string;
  storageOptions: Record<string, unknown>;
}

/**
 * The three cloud test servers, started in this process: s3rver behind the conditional-write
 * layer, Azurite and the GCS test server, each with `bucket` made. For tests whose own thread
 * never blocks (blocking twins use `forkServer`, cloud-server-child.ts).
 */
export interface CloudServers {
  s3: S3Server;
  azurite: AzuriteServer;
  gcs: GcsServer;
  /** A location under `prefix` in the bucket on `kind`'s server. */
  where(kind: CloudKind, prefix: string): CloudWhere;
  stop(): Promise<void>;
}

export async function startCloudServers(bucket: string): Promise<CloudServers> {
  const [s3, azurite, gcs] = await Promise.all([startS3(), startAzurite(), startGcs()]);
  await Promise.all([
    s3.bucket(bucket),
    gcs.bucket(bucket),
    BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(bucket)
      .create(),
  ]);
  const where = (kind: CloudKind, prefix: string): CloudWhere => {
    switch (kind) {
      case "s3":
        return {
          url: `s3://${bucket}/${prefix}`,
          storageOptions: {
            endpoint: s3.endpoint,
            region: s3.region,
            forcePathStyle: true,
            credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
          },
        };
      case "azure":
        return {
          url: `azure://${bucket}/${prefix}`,
          storageOptions: { connectionString: azurite.connectionString },
        };
      case "gcs":
        return {
          url: `gs://${bucket}/${prefix}`,
          storageOptions: { apiEndpoint: gcs.apiEndpoint, projectId: gcs.projectId },
        };
    }
  };
  const stop = async (): Promise<void> => {
    await Promise.all([s3.stop(), azurite.stop(), gcs.stop()]);
  };
  return { s3, azurite, gcs, where, stop };
}
