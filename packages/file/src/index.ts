export { AsyncFileQueue, FILE_QUEUE_DEFAULTS, type FileQueueOptions } from "./file-queue.js";
export { AsyncFileResultStorage, type FileResultStorageOptions } from "./file-result-storage.js";
export { AsyncFileEventStorage, type FileEventStorageOptions } from "./file-event-storage.js";
export { FileBackend, type FileBackendOptions } from "./file-backend.js";
export { FileEventStorage, FileQueue, FileResultStorage } from "./blocking.js";
export { omniqUrlFactory } from "./url-factory.js";
export { type FileTargetOptions, parseTargetUrl } from "./target-options.js";
export { layout, orderKey, parseOrderKey, type OrderKeyParts } from "./layout.js";
export type {
  ListEntry,
  ListOptions as TargetListOptions,
  ListPage,
  StorageTarget,
  StoredObject,
  TargetCapabilities,
} from "./targets/storage-target.js";
export { assertValidKey, assertValidPrefix, MAX_KEY_LENGTH } from "./targets/keys.js";
export { MemoryTarget, type MemoryTargetOptions } from "./targets/memory-target.js";
export { LocalTarget, type LocalTargetOptions } from "./targets/local-target.js";
export {
  ZenFsTarget,
  type ZenFsPromises,
  type ZenFsTargetOptions,
} from "./targets/zenfs-target.js";
export { CountingTarget, type RequestCounts } from "./targets/counting-target.js";
export {
  type CloudTargetModule,
  type CloudTargetSpec,
  createTarget,
  type TargetSpec,
} from "./targets/create-target.js";
export {
  isTransientFsError,
  type RetryOptions,
  retryTransient,
  toBackendError,
} from "./targets/retry.js";
export {
  S3Target,
  createS3Target,
  type S3TargetOptions,
  type S3StorageOptions,
  type S3ClientLike,
} from "./targets/s3-target.js";
export {
  AzureTarget,
  createAzureTarget,
  type AzureTargetOptions,
  type AzureStorageOptions,
  type AzureBlobServiceClientLike,
} from "./targets/azure-target.js";
export {
  GcsTarget,
  createGcsTarget,
  type GcsTargetOptions,
  type GcsStorageOptions,
  type GcsClientLike,
} from "./targets/gcs-target.js";
export { CloudRequestError } from "./targets/cloud-errors.js";
export type { CloudRetryOptions } from "./targets/cloud-retry.js";
