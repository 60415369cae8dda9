import type { LogLevel } from "../logger.js";

/** Values of `logLevel`, quietest first: `silent` or a {@link LogLevel}. */
export const CONFIG_LOG_LEVELS = ["silent", "error", "warn", "info", "debug"] as const;
export type ConfigLogLevel = "silent" | LogLevel;

/**
 * One component (queue, result storage or event storage) given as a URL plus options.
 *
 * @example
 * ```ts
 * const results: ComponentSpec = {
 *   url: "s3://my-bucket/omniq",
 *   storageOptions: { region: "eu-west-1" },
 * };
 * ```
 */
export interface ComponentSpec {
  /**
   * Where the component lives; the scheme picks the backend package (see docs/configuration.md).
   * May be left out in one source (file, env, code) to keep the URL from a lower one.
   */
  url?: string;
  /** Credentials, endpoint and client settings for the storage target. Never logged or put in error messages. */
  storageOptions?: Record<string, unknown>;
  /** Other constructor options of the backend's component (e.g. `defaultLeaseMs`). */
  options?: Record<string, unknown>;
}

/** A component: a URL string (`"sqlite:./omniq.db"`) or a {@link ComponentSpec}. */
export type ComponentConfig = string | ComponentSpec;

/** Settings of the worker runtime. Unset fields take the runtime's defaults. */
export interface WorkerConfig {
  /** Queues to claim from, in priority order. @defaultValue ["default"] */
  queues?: string[];
  /** Tasks run at once by one worker. */
  concurrency?: number;
  /** Lease length of a claimed task in ms, renewed while it runs. @defaultValue 30_000 */
  leaseMs?: number;
  /** On stop, how long in-flight tasks may finish before they are aborted and released, in ms. */
  gracefulStopMs?: number;
  /** Bounds of the adaptive poll interval when idle, in ms (`min <= max`). */
  pollIntervalMs?: { min: number; max: number };
  /** Most tasks claimed ahead of free slots (`0`: off; see docs/worker.md). @defaultValue 100 */
  prefetch?: number;
}

/**
 * The whole configuration, as given in code or in a JSON/YAML file.
 *
 * @example
 * ```ts
 * const config: OmniQConfig = {
 *   queue: "sqlite:./omniq.db",
 *   results: { url: "s3://bucket/results", storageOptions: { region: "us-east-1" } },
 *   events: null,
 *   worker: { queues: ["emails", "default"], concurrency: 8 },
 * };
 * ```
 */
export interface OmniQConfig {
  /** The task queue. @defaultValue "sqlite:./omniq.db" when no source configures it */
  queue?: ComponentConfig;
  /** Result storage; `null` or absent: no result storage (unless the embedded default applies). */
  results?: ComponentConfig | null;
  /** Event storage; `null` or absent: no event storage. */
  events?: ComponentConfig | null;
  worker?: WorkerConfig;
  /** Library log level (debugging the library; task events are separate). */
  logLevel?: ConfigLogLevel;
}

/** A component after loading: its URL is known. */
export interface ResolvedComponentSpec extends ComponentSpec {
  url: string;
}

/** What {@link loadConfig} returns: validated, merged, components in object form. */
export interface ResolvedOmniQConfig {
  queue: ResolvedComponentSpec;
  /** Absent: no result storage. */
  results?: ResolvedComponentSpec;
  /** Absent: no event storage. */
  events?: ResolvedComponentSpec;
  worker: WorkerConfig;
  logLevel?: ConfigLogLevel;
}

/** The embedded default, used when no source configures the queue. */
export const DEFAULT_COMPONENT_URL = "sqlite:./omniq.db";
