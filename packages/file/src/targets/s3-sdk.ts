/**
 * The slice of `@aws-sdk/client-s3` the S3 target uses, typed here so that `@omniq/file`'s
 * public types do not depend on the SDK (users without it still typecheck).
 */

/**
 * Any client with the SDK's `send(command)`: an `S3Client` from `@aws-sdk/client-s3`, configured
 * however you like (credentials provider, region, retry strategy, middleware).
 */
export interface S3ClientLike {
  send(command: object, options?: object): Promise<unknown>;
  destroy?(): void;
}

type S3CommandClass = new (input: Record<string, unknown>) => object;

/** What the target takes from the SDK module. */
export interface S3Sdk {
  S3Client: new (config: Record<string, unknown>) => S3ClientLike;
  GetObjectCommand: S3CommandClass;
  PutObjectCommand: S3CommandClass;
  DeleteObjectCommand: S3CommandClass;
  /** Batch delete (up to 1000 keys per request); used by `deleteMany` when present. */
  DeleteObjectsCommand?: S3CommandClass;
  ListObjectsV2Command: S3CommandClass;
}

export function isS3Sdk(mod: Record<string, unknown>): boolean {
  return ["S3Client", "GetObjectCommand", "PutObjectCommand", "DeleteObjectCommand"].every(
    (name) => typeof mod[name] === "function",
  );
}

export interface S3GetOutput {
  Body?: { transformToByteArray(): Promise<Uint8Array> };
  ETag?: string;
}

export interface S3PutOutput {
  ETag?: string;
}

export interface S3ListOutput {
  Contents?: { Key?: string; ETag?: string }[];
  IsTruncated?: boolean;
  NextContinuationToken?: string;
}
