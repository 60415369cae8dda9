import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, type Logger } from "@omniq/core";
import { createTarget, type TargetSpec } from "./targets/create-target.js";
import { assertValidKey } from "./targets/keys.js";
import type { StorageTarget } from "./targets/storage-target.js";

/**
 * Where a file component keeps its data: exactly one of `baseDir`, `url` or `target`.
 * Everything but a `StorageTarget` instance and `logger` is plain data, so the blocking
 * twins (which rebuild the component in a worker thread) accept the same options.
 */
export interface FileTargetOptions {
  /** A local directory (shorthand for `target: { kind: "local", baseDir }`). */
  baseDir?: string;
  /**
   * `memory://name`, `file:./dir`, `file:///abs/dir`, `s3://bucket/prefix`,
   * `azure://container/prefix` or `gs://bucket/prefix`.
   */
  url?: string;
  /** A ready target (async classes only) or its plain-data spec. */
  target?: StorageTarget | TargetSpec;
  /** Credentials, endpoint and client settings for a cloud target given by `url`. Never logged. */
  storageOptions?: Record<string, unknown>;
  /** Library logging (corrupt files are reported here). @defaultValue process warnings */
  logger?: Logger;
}

/** A target and whether the component that opened it must close it. */
export interface TargetHandle {
  target: StorageTarget;
  owned: boolean;
}

function isTarget(t: unknown): t is StorageTarget {
  return (
    t !== null &&
    typeof t === "object" &&
    typeof (t as StorageTarget).read === "function" &&
    typeof (t as StorageTarget).writeIfAbsent === "function"
  );
}

/** The kind a component will run on, known before the target is opened. */
export function targetKindOf(options: FileTargetOptions): StorageTarget["kind"] {
  if (options.target) return options.target.kind;
  if (options.url) return parseTargetUrl(options.url).kind;
  return "local";
}

/** Checks that exactly one source is given; called by constructors so mistakes fail early. */
export function checkTargetOptions(options: FileTargetOptions, component: string): void {
  const given = [options?.baseDir, options?.url, options?.target].filter((x) => x !== undefined);
  if (given.length !== 1) {
    throw new ConfigError(
      "target",
      `${component}: give exactly one of baseDir, url or target (got ${given.length})`,
    );
  }
  if (options.url !== undefined) parseTargetUrl(options.url, options.storageOptions);
}

/**
 * Where the options point, comparable without opening anything: the target instance itself,
 * or a string naming the store (`local:/abs/dir`, `memory:name`, `s3:bucket/prefix`, ...).
 * `null` for a private store (`memory:` without a name), which nothing else can share.
 */
export function locationOf(options: FileTargetOptions): StorageTarget | string | null {
  if (isTarget(options.target)) return options.target;
  let spec: TargetSpec;
  try {
    spec =
      options.target ??
      (options.url !== undefined
        ? parseTargetUrl(options.url)
        : { kind: "local", baseDir: options.baseDir! });
  } catch {
    return null;
  }
  switch (spec.kind) {
    case "local":
      return `local:${resolve(spec.baseDir)}`;
    case "memory":
      return spec.name === undefined ? null : `memory:${spec.name}`;
    case "zenfs":
      return null;
    default:
      return `${spec.kind}:${spec.bucket}/${(spec.prefix ?? "").replace(/^\/+|\/+$/g, "")}`;
  }
}

/** Opens (or adopts) the target the options describe. */
export async function openTarget(options: FileTargetOptions): Promise<TargetHandle> {
  if (isTarget(options.target)) return { target: options.target, owned: false };
  if (options.target) return { target: await createTarget(options.target), owned: true };
  if (options.url !== undefined) {
    return {
      target: await createTarget(parseTargetUrl(options.url, options.storageOptions)),
      owned: true,
    };
  }
  return { target: await createTarget({ kind: "local", baseDir: options.baseDir! }), owned: true };
}

/**
 * Parses a component URL into a target spec.
 *
 * @example
 * ```ts
 * parseTargetUrl("file:./data");         // { kind: "local", baseDir: "./data" }
 * parseTargetUrl("memory://jobs");       // { kind: "memory", name: "jobs" }
 * parseTargetUrl("s3://bucket/omniq");   // { kind: "s3", bucket: "bucket", prefix: "omniq" }
 * ```
 */
export function parseTargetUrl(url: string, storageOptions?: Record<string, unknown>): TargetSpec {
  if (typeof url !== "string") throw new ConfigError("url", "file backend: url: expected a string");
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/s.exec(url);
  const scheme = m?.[1];
  const rest = m?.[2] ?? "";
  switch (scheme) {
    case "memory": {
      const name = rest.replace(/^\/\//, "").replace(/\/+$/, "");
      if (name === "") return { kind: "memory" };
      if (!/^[A-Za-z0-9_.-]{1,200}$/.test(name)) {
        throw new ConfigError(
          "url",
          `file backend: memory://name: the name may use A-Z a-z 0-9 _ . - (got ${JSON.stringify(name.slice(0, 60))})`,
        );
      }
      return { kind: "memory", name };
    }
    case "file": {
      let path: string;
      if (rest.startsWith("//")) {
        try {
          path = fileURLToPath(url);
        } catch {
          throw new ConfigError(
            "url",
            "file backend: file:// URLs must be file:///absolute/path (no host)",
          );
        }
      } else {
        path = decodeURIComponent(rest);
      }
      if (path === "")
        throw new ConfigError("url", "file backend: file: URL has no path (e.g. file:./data)");
      return { kind: "local", baseDir: path };
    }
    case "s3":
    case "azure":
    case "gs":
      return cloudSpec(scheme, rest, storageOptions);
    default:
      throw new ConfigError(
        "url",
        `file backend: unsupported URL scheme ${JSON.stringify(scheme ?? "")}: expected memory, file, s3, azure or gs`,
      );
  }
}

function cloudSpec(
  scheme: "s3" | "azure" | "gs",
  rest: string,
  storageOptions?: Record<string, unknown>,
): TargetSpec {
  if (!rest.startsWith("//")) {
    throw new ConfigError("url", `file backend: expected ${scheme}://bucket/prefix`);
  }
  const body = rest.slice(2);
  const slash = body.indexOf("/");
  const authority = slash === -1 ? body : body.slice(0, slash);
  if (authority.includes("@") || authority.includes(":")) {
    // Never echo the URL: it may hold a secret.
    throw new ConfigError(
      "url",
      `file backend: ${scheme}:// URLs take no credentials or port; put them in storageOptions`,
    );
  }
  const bucket = authority;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,221}$/.test(bucket)) {
    throw new ConfigError("url", `file backend: ${scheme}:// URL: bucket name missing or invalid`);
  }
  const prefix = (slash === -1 ? "" : body.slice(slash + 1)).replace(/\/+$/, "");
  if (prefix !== "") assertValidKey(prefix, "prefix");
  return {
    kind: scheme === "gs" ? "gcs" : scheme,
    bucket,
    prefix,
    ...(storageOptions ? { storageOptions } : {}),
  };
}
