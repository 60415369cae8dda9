import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { BackendError, OmniQError } from "@omniq/core";

interface DriverError {
  code?: unknown;
  message?: unknown;
}

/** Whether `err` is SQLite saying another connection holds the lock (retry later). */
export function isBusy(err: unknown): boolean {
  const code = (err as DriverError | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/**
 * Turns a driver error into a {@link BackendError} naming the database; OmniQ's own
 * errors pass through unchanged.
 */
export function toBackendError(err: unknown, path: string, action = "query"): Error {
  if (err instanceof OmniQError) return err;
  const code = String((err as DriverError | null)?.code ?? "");
  const message = String((err as DriverError | null)?.message ?? err);
  const where = `sqlite: ${path}`;
  if (code === "SQLITE_NOTADB") {
    return new BackendError(`${where} is not a SQLite database (${message}); no data was changed`, {
      cause: err,
    });
  }
  if (code.startsWith("SQLITE_CANTOPEN") || /directory does not exist/.test(message)) {
    return new BackendError(`${where}: cannot open the database: ${explainOpen(path, message)}`, {
      cause: err,
    });
  }
  if (code.startsWith("SQLITE_READONLY")) {
    return new BackendError(
      `${where}: the database is read-only (${message}); SQLite needs write access to the file and its directory (for the -wal and -shm files)`,
      { cause: err },
    );
  }
  if (code.startsWith("SQLITE_CORRUPT")) {
    return new BackendError(`${where}: the database file is corrupt (${message})`, { cause: err });
  }
  if (code === "SQLITE_FULL") {
    return new BackendError(`${where}: the disk is full (${message})`, { cause: err });
  }
  return new BackendError(`${where}: ${action} failed: ${code ? `${code}: ` : ""}${message}`, {
    cause: err,
  });
}

function explainOpen(path: string, message: string): string {
  const dir = dirname(path);
  if (!existsSync(dir)) return `directory ${dir} does not exist`;
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  } catch {
    // fall through to the driver's message
  }
  return `${message} (is the directory ${dir} writable? SQLite creates the file and its -wal/-shm files there)`;
}
