import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Creates a fresh directory under the OS temp dir, e.g. `/tmp/omniq-s3-AbC123`. */
export function makeTempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `omniq-${label}-`));
}

/** Removes a directory tree; never throws for a missing directory. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}
