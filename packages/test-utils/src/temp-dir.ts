import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const live = new Set<string>();
let exitHookInstalled = false;

/** Creates a fresh directory under the OS temp dir (e.g. `/tmp/omniq-s3-AbC123`), removed on exit. */
export async function makeTempDir(label: string): Promise<string> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const dir of live) rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = await mkdtemp(join(tmpdir(), `omniq-${label}-`));
  live.add(dir);
  return dir;
}

/** Removes a directory tree; never throws for a missing directory. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  live.delete(dir);
}
