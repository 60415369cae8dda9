import { type Dirent, readdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { isValidKey } from "./keys.js";
import { code } from "./local-fs.js";

/** What {@link walkKeys} did: collected `max` keys, passed the directory, or passed and removed it. */
export type Walked = 0 | 1 | 2;
export const PASSED: Walked = 0;
export const FULL: Walked = 1;
export const REMOVED: Walked = 2;

/** Where a walk reads and what it collects. */
export interface Walk {
  /** Keys after this one only. */
  after: string | undefined;
  /** Stop once this many keys are collected. */
  max: number;
  out: string[];
  /** Told of each directory the walk removed. */
  onRemoved: (dir: string) => void;
}

/**
 * Collects the keys under `dir` (whose key prefix is `rel`) with names starting with
 * `namePrefix`, in lexicographic order; returns `FULL` once `walk.max` are collected. A
 * subdirectory met on the way that is empty, or whose subdirectories the walk all removed,
 * is removed (`REMOVED`): object stores have no directories, pending files sit in
 * time-bucket directories that empty as their tasks finish, and a listing would otherwise
 * read every emptied one before the first task. Removing is safe against a writer putting a
 * file there at the same moment: `rmdir` fails on a directory that is not empty, and a
 * writer that finds its directory gone creates it again (the local target's `#inDir`).
 * POSIX has no ordered, seekable listing, so each directory the walk enters is read whole.
 */
export function walkKeys(
  dir: string,
  rel: string,
  namePrefix: string,
  walk: Walk,
  sub = false,
): Walked {
  let dirents: Dirent[];
  try {
    dirents = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return PASSED;
    throw err;
  }
  if (sub && dirents.length === 0) return removeDir(dir, walk);
  const items: { name: string; sortKey: string; isDir: boolean }[] = [];
  // Subdirectories of this one that the walk removed (it emptied when they did).
  let removed = 0;
  for (const d of dirents) {
    const name = d.name;
    if (name.charCodeAt(0) === 46 /* "." */ || !name.startsWith(namePrefix)) continue;
    const isDir = d.isDirectory();
    items.push({ name, sortKey: isDir ? `${name}/` : name, isDir });
  }
  items.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  const { after, max, out } = walk;
  for (const it of items) {
    const key = rel + it.sortKey;
    if (it.isDir) {
      if (after !== undefined && key < after && !after.startsWith(key)) continue;
      const r = walkKeys(join(dir, it.name), key, "", walk, true);
      if (r === FULL) return FULL;
      if (r === REMOVED) removed++;
      continue;
    }
    if (after !== undefined && key <= after) continue;
    if (!isValidKey(key)) continue;
    out.push(key);
    if (out.length >= max) return FULL;
  }
  return sub && removed > 0 && removed === dirents.length ? removeDir(dir, walk) : PASSED;
}

/** Removes an empty directory (best effort: one that is not empty, or gone, stays as is). */
function removeDir(dir: string, walk: Walk): Walked {
  try {
    rmdirSync(dir);
  } catch {
    return PASSED;
  }
  walk.onRemoved(dir);
  return REMOVED;
}
