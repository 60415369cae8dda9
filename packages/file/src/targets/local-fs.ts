import { type BigIntStats, statSync, unlinkSync } from "node:fs";

/** The error code of a failed `node:fs` call. */
export const code = (err: unknown) => (err as { code?: string } | null)?.code;

/** A file's version on local disk: inode, modification time (ns) and size. */
export function versionOf(st: BigIntStats): string {
  return `${st.ino}:${st.mtimeNs}:${st.size}`;
}

/** Unlinks `path`; `false` when it was not there. */
export function unlinkIfPresent(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return false;
    throw err;
  }
}

/** `stat` of `path`, or `null` when it is not there. */
export function statOrNull(path: string): BigIntStats | null {
  try {
    return statSync(path, { bigint: true });
  } catch (err) {
    if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return null;
    throw err;
  }
}
