import { ValidationError } from "@omniq/core";

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkPath(label: string, field: string, value: unknown, allowEmpty: boolean): string {
  if (typeof value !== "string") {
    throw new ValidationError(field, `${label}: ${field} must be a string, got ${typeof value}`);
  }
  if (value === "") {
    if (allowEmpty) return value;
    throw new ValidationError(field, `${label}: ${field} must not be empty`);
  }
  if (value.startsWith("/")) {
    throw new ValidationError(field, `${label}: ${field} "${value}" must not start with "/"`);
  }
  if (value.includes("\\")) {
    throw new ValidationError(field, `${label}: ${field} "${value}" must not contain "\\"`);
  }
  if (CONTROL.test(value)) {
    throw new ValidationError(
      field,
      `${label}: ${field} ${JSON.stringify(value)} must not contain control characters`,
    );
  }
  const segments = value.split("/");
  segments.forEach((segment, i) => {
    if (segment === "." || segment === "..") {
      throw new ValidationError(
        field,
        `${label}: ${field} "${value}" must not contain a "${segment}" segment`,
      );
    }
    // An empty segment is only allowed as the tail of a prefix ("queues/").
    if (segment === "" && !(allowEmpty && i === segments.length - 1)) {
      throw new ValidationError(
        field,
        `${label}: ${field} "${value}" must not contain an empty segment ("//" or a trailing "/")`,
      );
    }
  });
  return value;
}

/**
 * The target's base directory as an object-name prefix: leading and trailing slashes dropped,
 * `""` or `"dir/sub/"`.
 *
 * @example
 * ```ts
 * normalizeBaseDir("s3 target", "/omniq/prod/") // "omniq/prod/"
 * ```
 */
export function normalizeBaseDir(label: string, baseDir: unknown): string {
  if (baseDir === undefined || baseDir === null) return "";
  if (typeof baseDir !== "string") {
    throw new ValidationError("prefix", `${label}: prefix must be a string, got ${typeof baseDir}`);
  }
  const trimmed = baseDir.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") return "";
  checkPath(label, "prefix", trimmed, false);
  return `${trimmed}/`;
}

/** Checks a page size: a positive integer. */
export function validateLimit(label: string, limit: unknown): number {
  if (limit === undefined) return 1000;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    throw new ValidationError("limit", `${label}: limit must be a positive integer, got ${limit}`);
  }
  return limit;
}
