import { startS3 } from "@omniq/test-utils";

/** Where the event log goes, and how to shut down what was started for it. */
export interface EventsLocation {
  url: string;
  storageOptions?: Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * `OMNIQ_EVENTS_URL` (e.g. `s3://my-bucket/omniq-events`, credentials and region from the AWS
 * SDK's usual environment) when set; otherwise a local S3-compatible TEST server.
 */
export async function eventsLocation(): Promise<EventsLocation> {
  const url = process.env.OMNIQ_EVENTS_URL;
  if (url) return { url, stop: async () => {} };

  // TEST INFRASTRUCTURE ONLY: s3rver on 127.0.0.1 from @omniq/test-utils, so this example runs
  // anywhere (and in CI) without an AWS account. In production, point at real S3 instead.
  const s3 = await startS3();
  await s3.bucket("omniq-events");
  return {
    url: "s3://omniq-events/demo",
    storageOptions: {
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    },
    stop: () => s3.stop(),
  };
}
