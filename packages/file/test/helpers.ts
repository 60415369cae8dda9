import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh empty directory under the OS temp dir, removed after the file's tests. */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `omniq-file-${label}-`));
  made.push(dir);
  return dir;
}

let n = 0;
/** A memory store name no other test uses. */
export const uniqueName = (label: string) => `${label}-${process.pid}-${++n}`;

/**
 * `view` (a wrapper around a store, e.g. a CountingTarget) under another id: it shares no
 * in-process caches with the other components on that store, as if it ran in another process.
 */
export function asAnotherProcess<T extends { readonly id: string }>(view: T, name: string): T {
  Object.defineProperty(view, "id", { value: `${view.id}#${name}` });
  return view;
}
