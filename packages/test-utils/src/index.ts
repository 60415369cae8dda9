/**
 * @omniq/test-utils — TEST INFRASTRUCTURE ONLY. Starts real storage servers on 127.0.0.1 for
 * OmniQ's tests and benchmarks. Not for production use.
 */
export {
  AZURITE_ACCOUNT_KEY,
  AZURITE_ACCOUNT_NAME,
  type AzuriteServer,
  type StartAzuriteOptions,
  startAzurite,
} from "./start-azurite.js";
export { type GcsServer, type StartGcsOptions, startGcs } from "./start-gcs.js";
export { type S3Server, type StartS3Options, startS3 } from "./start-s3.js";
