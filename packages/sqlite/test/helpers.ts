import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A temp directory removed after the file's tests; `file()` names a fresh database in it. */
export function tempDir(prefix = "omniq-sqlite-"): {
  dir: string;
  file: (name?: string) => string;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return { dir, file: (name) => join(dir, name ?? `db-${++n}.sqlite`) };
}
