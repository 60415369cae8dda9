import { ConfigError, MissingPackageError, ValidationError } from "@omniq/core";
import { LocalTarget, type LocalTargetOptions } from "./local-target.js";
import { MemoryTarget } from "./memory-target.js";
import type { StorageTarget } from "./storage-target.js";

/** A cloud target's description: plain data, so it can cross to a worker thread. */
export interface CloudTargetSpec {
  kind: "s3" | "azure" | "gcs";
  /** The S3 or GCS bucket, or the Azure container. */
  bucket: string;
  /** Key prefix inside the bucket (no leading or trailing slash needed). @defaultValue "" */
  prefix?: string;
  /** Credentials, endpoint, region and client settings for the SDK. Never logged. */
  storageOptions?: Record<string, unknown>;
}

/**
 * A storage target described as plain data (structured-cloneable), so that a blocking twin
 * can rebuild it in its worker thread. Pass a ready {@link StorageTarget} instance instead
 * where no thread is involved.
 */
export type TargetSpec =
  | { kind: "memory"; name?: string }
  | ({ kind: "local" } & LocalTargetOptions)
  | { kind: "zenfs"; baseDir?: string }
  | CloudTargetSpec;

/** What `./targets/<kind>-target.js` exports for a cloud kind. */
export interface CloudTargetModule {
  createCloudTarget(spec: CloudTargetSpec): StorageTarget | Promise<StorageTarget>;
}

const CLOUD: Record<CloudTargetSpec["kind"], { module: string; sdk: string }> = {
  s3: { module: "./s3-target.js", sdk: "@aws-sdk/client-s3" },
  azure: { module: "./azure-target.js", sdk: "@azure/storage-blob" },
  gcs: { module: "./gcs-target.js", sdk: "@google-cloud/storage" },
};

/**
 * Builds a target from its spec. Cloud targets are imported lazily (their SDKs are optional
 * peer dependencies); a missing SDK is a {@link MissingPackageError} naming the package.
 *
 * @example
 * ```ts
 * const local = await createTarget({ kind: "local", baseDir: "./data" });
 * const s3 = await createTarget({ kind: "s3", bucket: "jobs", prefix: "omniq", storageOptions: { region: "eu-west-1" } });
 * ```
 */
export async function createTarget(spec: TargetSpec): Promise<StorageTarget> {
  switch (spec?.kind) {
    case "memory":
      return new MemoryTarget({ name: spec.name });
    case "local":
      return new LocalTarget(spec);
    case "zenfs": {
      const zen = (await importOptional("@zenfs/core", "zenfs")) as {
        fs: { promises: import("./zenfs-target.js").ZenFsPromises };
      };
      const { ZenFsTarget } = await import("./zenfs-target.js");
      return new ZenFsTarget({ fs: zen.fs.promises, baseDir: spec.baseDir });
    }
    case "s3":
    case "azure":
    case "gcs":
      return createCloudTarget(spec);
    default:
      throw new ConfigError(
        "target.kind",
        `file backend: target kind ${JSON.stringify((spec as { kind?: unknown } | undefined)?.kind)}: expected memory, local, zenfs, s3, azure or gcs`,
      );
  }
}

async function createCloudTarget(spec: CloudTargetSpec): Promise<StorageTarget> {
  if (typeof spec.bucket !== "string" || spec.bucket.length === 0) {
    throw new ValidationError("bucket", `${spec.kind} target: bucket: expected a non-empty name`);
  }
  const { module, sdk } = CLOUD[spec.kind];
  const url = new URL(module, import.meta.url).href;
  let mod: Partial<CloudTargetModule>;
  try {
    mod = (await import(url)) as Partial<CloudTargetModule>;
  } catch (err) {
    throw missingModule(err, url, spec.kind, sdk);
  }
  if (typeof mod.createCloudTarget !== "function") {
    throw new MissingPackageError(
      "@omniq/file",
      `${spec.kind} target: not available yet in this build of @omniq/file (${module} exports no createCloudTarget)`,
    );
  }
  try {
    return await mod.createCloudTarget(spec);
  } catch (err) {
    throw missingModule(err, url, spec.kind, sdk);
  }
}

/** Turns "module not found" into a {@link MissingPackageError}; other errors pass through. */
function missingModule(err: unknown, url: string, kind: string, sdk: string): unknown {
  const c = (err as { code?: unknown } | null)?.code;
  if (c !== "ERR_MODULE_NOT_FOUND" && c !== "MODULE_NOT_FOUND") return err;
  const message = String((err as Error).message ?? "");
  if (message.includes(sdk)) {
    return new MissingPackageError(
      sdk,
      `${kind} target: the package ${sdk} is not installed; install it next to @omniq/file (npm install ${sdk})`,
      { cause: err },
    );
  }
  if (message.includes(url) || message.includes(url.replace(/^file:\/\//, ""))) {
    return new MissingPackageError(
      "@omniq/file",
      `${kind} target: not available yet in this build of @omniq/file`,
      { cause: err },
    );
  }
  return err;
}

async function importOptional(pkg: string, kind: string): Promise<unknown> {
  try {
    return await import(pkg);
  } catch (err) {
    const c = (err as { code?: unknown } | null)?.code;
    if (c === "ERR_MODULE_NOT_FOUND" || c === "MODULE_NOT_FOUND") {
      throw new MissingPackageError(
        pkg,
        `${kind} target: the package ${pkg} is not installed; install it next to @omniq/file (npm install ${pkg})`,
        { cause: err },
      );
    }
    throw err;
  }
}
