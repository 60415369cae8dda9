import { BackendError, ClosedError, ConfigError, OmniQError, ValidationError } from "@omniq/core";
import { normalizeBaseDir, validateLimit } from "./cloud-keys.js";
import { collectSecrets, describeError, sanitizeError } from "./cloud-errors.js";
import {
  type CloudRetryOptions,
  type RetryPolicy,
  type RetryState,
  retryPolicyFrom,
  timeoutFrom,
  withRetry,
  withTimeout,
} from "./cloud-retry.js";
import { assertValidKey, assertValidPrefix, isValidKey } from "./keys.js";
import {
  DELETE_BATCH,
  type ListOptions,
  type ListPage,
  type StorageTarget,
  type StoredObject,
  type TargetCapabilities,
} from "./storage-target.js";

/** What a put must check first: nothing, that the object is absent, or its current version. */
export type PutCondition =
  | { kind: "none" }
  | { kind: "absent" }
  | { kind: "version"; version: string };

/** How a delete ended: `mismatch` is a different version, `missing` no object at all. */
export type DeleteOutcome = "deleted" | "missing" | "mismatch";

/** One page of full object names (baseDir included). */
export interface CloudListPage {
  entries: { name: string; version?: string }[];
  cursor: string | null;
}

export interface CloudListRequest {
  /** baseDir + prefix. */
  prefix: string;
  /** baseDir + startAfter, when given. */
  startAfter: string | undefined;
  limit: number;
  cursor: string | undefined;
}

/** A cloud target described as plain data: `{ kind, bucket, prefix, storageOptions }`. */
export interface CloudTargetSpecLike {
  /** The S3 or GCS bucket, or the Azure container. */
  bucket: string;
  prefix?: string;
  storageOptions?: Record<string, unknown>;
}

/** Settings every cloud target shares (besides its own location and SDK options). */
export interface CloudTargetSettings extends CloudRetryOptions {
  /** Bucket or container. */
  bucket: string;
  /** Endpoint or account that tells stores with the same bucket name apart (no credentials). */
  host: string | undefined;
  /** The base directory inside the bucket/container. */
  prefix: string | undefined;
  /** `storageOptions`, only to know which strings to scrub from error messages. */
  storageOptions: Record<string, unknown> | undefined;
}

/** A URL or name safe to show: no user-info, query (SAS) or fragment, no trailing slash. */
export function publicEndpoint(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  return value
    .replace(/[?#].*$/s, "")
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1")
    .replace(/\/+$/, "");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The part the S3, Azure and GCS targets share: key validation and baseDir prefixing, lazy
 * client creation, bounded retries of transient failures, lost-race bookkeeping and safe error
 * messages. Subclasses implement one SDK call per primitive.
 */
export abstract class CloudTarget<C> implements StorageTarget {
  abstract readonly kind: "s3" | "azure" | "gcs";
  readonly capabilities: TargetCapabilities = { crossProcess: true, orderedList: true };
  /** The target's base directory as an object-name prefix (`""` or `"dir/"`). */
  readonly baseDir: string;
  protected readonly label: string;
  readonly #policy: RetryPolicy;
  /** Time limit of one attempt in ms (0: none). */
  protected readonly attemptTimeoutMs: number;
  readonly #secrets: string[];
  #client: Promise<C> | undefined;
  #closed = false;

  /**
   * `<kind>:[<endpoint or account>/]<bucket>[/<baseDir>]`, e.g. `s3:tasks/omniq`,
   * `azure:http://127.0.0.1:10000/devstoreaccount1/tasks`; never a credential.
   */
  readonly id: string;

  protected constructor(kind: "s3" | "azure" | "gcs", settings: CloudTargetSettings) {
    const host = publicEndpoint(settings.host);
    const base = normalizeBaseDir(`${kind} target`, settings.prefix);
    this.id = `${kind}:${host ? `${host}/` : ""}${settings.bucket}${base ? `/${base.slice(0, -1)}` : ""}`;
    this.label = `${kind} target ${this.id}`;
    this.baseDir = base;
    this.#policy = retryPolicyFrom(this.label, settings);
    this.attemptTimeoutMs = timeoutFrom(this.label, settings.timeoutMs);
    this.#secrets = collectSecrets(settings.storageOptions);
  }

  /** Builds (or adopts) the SDK client; called once, again after a failure. */
  protected abstract connect(): Promise<C>;
  /** Releases a client this target created. */
  protected abstract disconnect(client: C): Promise<void>;
  /** Transient failures of this SDK, beyond the common network/5xx/429 set. */
  protected abstract isTransient(error: unknown): boolean;
  /** One GET; `null` when the object does not exist. */
  protected abstract getObject(
    client: C,
    name: string,
    signal: AbortSignal,
  ): Promise<StoredObject | null>;
  /** One PUT; the new version, or `null` when `condition` did not hold (a lost race). */
  protected abstract putObject(
    client: C,
    name: string,
    data: Uint8Array,
    condition: PutCondition,
    signal: AbortSignal,
  ): Promise<string | null>;
  /** One DELETE, conditional on `version` when given. */
  protected abstract deleteObject(
    client: C,
    name: string,
    version: string | undefined,
    signal: AbortSignal,
  ): Promise<DeleteOutcome>;
  /**
   * One batch DELETE of up to 1000 names (unconditional), when the service has one (S3
   * `DeleteObjects`); subclasses without it leave it undefined.
   */
  protected deleteObjects?(client: C, names: readonly string[], signal: AbortSignal): Promise<void>;

  /**
   * The per-key fallback of a `deleteObjects` whose service refused the batch: turns
   * `capabilities.batchDelete` off for good, so later calls (and request counts) are per key.
   */
  protected async deleteEachObject(
    client: C,
    names: readonly string[],
    signal: AbortSignal,
  ): Promise<void> {
    this.capabilities.batchDelete = false;
    for (const name of names) await this.deleteObject(client, name, undefined, signal);
  }
  /** One LIST request. */
  protected abstract listObjects(
    client: C,
    request: CloudListRequest,
    signal: AbortSignal,
  ): Promise<CloudListPage>;

  async read(key: string): Promise<StoredObject | null> {
    const name = this.#name(key);
    return this.#run("read", key, (client, signal) => this.getObject(client, name, signal)).value;
  }

  async write(key: string, data: Uint8Array): Promise<string> {
    const name = this.#name(key);
    this.#checkData(data);
    const version = await this.#run("write", key, (client, signal) =>
      this.putObject(client, name, data, { kind: "none" }, signal),
    ).value;
    if (version === null) {
      throw new BackendError(`${this.label}: write of "${key}" returned no version`);
    }
    return version;
  }

  async writeIfAbsent(key: string, data: Uint8Array): Promise<string | null> {
    const name = this.#name(key);
    this.#checkData(data);
    const run = this.#run("writeIfAbsent", key, (client, signal) =>
      this.putObject(client, name, data, { kind: "absent" }, signal),
    );
    const version = await run.value;
    if (version === null && run.state.attempts > 1) return this.#ownRetriedWrite(key, data);
    return version;
  }

  async writeIfVersion(key: string, data: Uint8Array, version: string): Promise<string | null> {
    const name = this.#name(key);
    this.#checkData(data);
    this.#checkVersion(version);
    const run = this.#run("writeIfVersion", key, (client, signal) =>
      this.putObject(client, name, data, { kind: "version", version }, signal),
    );
    const next = await run.value;
    if (next === null && run.state.attempts > 1) return this.#ownRetriedWrite(key, data);
    return next;
  }

  async delete(key: string, version?: string): Promise<boolean> {
    const name = this.#name(key);
    if (version !== undefined) this.#checkVersion(version);
    const run = this.#run("delete", key, (client, signal) =>
      this.deleteObject(client, name, version, signal),
    );
    const outcome = await run.value;
    // After a failed attempt that may have reached the server, "gone" most likely means that
    // attempt deleted it.
    if (outcome === "missing" && run.state.attempts > 1) return true;
    return outcome === "deleted";
  }

  /**
   * Deletes every key (missing ones are fine), all validated before the first request: one
   * batch request per `capabilities.deleteBatchLimit` keys (1000) where the target has
   * `deleteObjects` and `batchDelete` is not off, else one `delete` per key.
   */
  async deleteMany(keys: readonly string[]): Promise<void> {
    const names = keys.map((k) => this.#name(k));
    const batch =
      this.capabilities.batchDelete === false ? undefined : this.deleteObjects?.bind(this);
    if (batch) {
      const size = this.capabilities.deleteBatchLimit ?? DELETE_BATCH;
      for (let i = 0; i < names.length; i += size) {
        const chunk = names.slice(i, i + size);
        await this.#run("deleteMany", keys[i]!, (client, signal) => batch(client, chunk, signal))
          .value;
      }
      return;
    }
    for (const key of keys) await this.delete(key);
  }

  async list(options: ListOptions): Promise<ListPage> {
    const prefix = assertValidPrefix(options.prefix, "prefix");
    const limit = validateLimit(this.label, options.limit);
    const cursor = options.cursor ?? undefined;
    if (cursor !== undefined && (typeof cursor !== "string" || cursor === "")) {
      throw new ValidationError("cursor", `${this.label}: cursor must be a non-empty string`);
    }
    // `startAfter` is ignored with a cursor (the cursor already encodes where to go on).
    let startAfter: string | undefined;
    if (cursor === undefined && options.startAfter !== undefined && options.startAfter !== "") {
      startAfter = this.baseDir + assertValidPrefix(options.startAfter, "startAfter");
    }
    const request: CloudListRequest = { prefix: this.baseDir + prefix, startAfter, limit, cursor };
    const page = await this.#run("list", prefix, (client, signal) =>
      this.listObjects(client, request, signal),
    ).value;
    const entries: ListPage["entries"] = [];
    for (const entry of page.entries) {
      if (!entry.name.startsWith(this.baseDir)) continue;
      const key = entry.name.slice(this.baseDir.length);
      // Objects no key can name (folder markers "dir/", "a//b") were not written by OmniQ.
      if (!isValidKey(key)) continue;
      entries.push(entry.version === undefined ? { key } : { key, version: entry.version });
    }
    return { entries, cursor: page.cursor };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = this.#client;
    this.#client = undefined;
    if (!pending) return;
    const client = await pending.catch(() => undefined);
    if (client !== undefined) await this.disconnect(client);
  }

  /** A ConfigError for bad options, with the SDK's message scrubbed. */
  protected configError(key: string, message: string, cause?: unknown): ConfigError {
    const safe = cause === undefined ? undefined : sanitizeError(cause, this.#secrets);
    const detail = safe ? `: ${describeError(safe)}` : "";
    return new ConfigError(key, `${this.label}: ${message}${detail}`, { cause: safe });
  }

  #name(key: string): string {
    return this.baseDir + assertValidKey(key);
  }

  #checkData(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) {
      throw new ValidationError("data", `${this.label}: data must be a Uint8Array`);
    }
  }

  #checkVersion(version: string): void {
    if (typeof version !== "string" || version === "") {
      throw new ValidationError("version", `${this.label}: version must be a non-empty string`);
    }
  }

  /**
   * A conditional write that lost only after a retry may have been won by its own earlier
   * attempt (applied by the server, answer lost). If the stored bytes are exactly ours, it was.
   */
  async #ownRetriedWrite(key: string, data: Uint8Array): Promise<string | null> {
    const current = await this.read(key);
    return current !== null && sameBytes(current.data, data) ? current.version : null;
  }

  #connect(): Promise<C> {
    if (this.#closed) throw new ClosedError(`${this.label}: used after close()`);
    if (!this.#client) {
      const pending = this.connect().catch((error: unknown) => {
        if (this.#client === pending) this.#client = undefined;
        if (error instanceof OmniQError) throw error;
        throw this.configError("storageOptions", "could not create the SDK client", error);
      });
      this.#client = pending;
    }
    return this.#client;
  }

  #run<T>(
    action: string,
    key: string,
    op: (client: C, signal: AbortSignal) => Promise<T>,
  ): { value: Promise<T>; state: RetryState } {
    const state: RetryState = { attempts: 0 };
    const value = (async () => {
      const client = await this.#connect();
      try {
        return await withRetry(
          this.#policy,
          (e) => this.isTransient(e),
          state,
          () => withTimeout(this.attemptTimeoutMs, (signal) => op(client, signal)),
        );
      } catch (error) {
        if (error instanceof OmniQError) throw error;
        throw this.#backendError(action, key, error, state.attempts);
      }
    })();
    return { value, state };
  }

  #backendError(action: string, key: string, error: unknown, attempts: number): BackendError {
    const safe = sanitizeError(error, this.#secrets);
    const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
    return new BackendError(
      `${this.label}: ${action} "${key}" failed after ${tries}: ${describeError(safe)}`,
      { cause: safe },
    );
  }
}
