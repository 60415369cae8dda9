import { resolve } from "node:path";

/**
 * Whether two database paths name the same file (`./omniq.db` and `omniq.db` do, once
 * resolved against the working directory). `:memory:` and `""` never do: each connection
 * to them is its own database.
 */
export function samePath(a: string, b: string): boolean {
  if (a === "" || b === "" || a === ":memory:" || b === ":memory:") return false;
  return resolve(a) === resolve(b);
}

/** The registry key of a database path: its absolute path, or `:memory:` as is. */
export function pathKey(path: string): string {
  return path === ":memory:" ? path : resolve(path);
}
