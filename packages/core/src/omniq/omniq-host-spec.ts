import type {
  ComponentConfig,
  ConfigLogLevel,
  OmniQConfig,
  ResolvedOmniQConfig,
} from "../config/config-types.js";
import type { BlockingSpec } from "../sync/protocol.js";
import type { TaskOptions } from "./task-options.js";

/**
 * One component as it crosses into the OmniQ's thread: rebuilt from a blocking twin's
 * {@link BlockingSpec}, or built from its URL / ComponentSpec by the config machinery.
 */
export type HostComponent =
  | { from: "twin"; spec: BlockingSpec }
  | { from: "config"; config: ComponentConfig };

/** Where the host's components come from: given one by one, or loaded as configuration. */
export type HostSource =
  | {
      kind: "components";
      queue: HostComponent;
      results?: HostComponent | undefined;
      events?: HostComponent | undefined;
    }
  | {
      kind: "config";
      file?: string | false | undefined;
      env?: Record<string, string | undefined> | undefined;
      config?: OmniQConfig | undefined;
    };

/**
 * What the blocking `OmniQ` sends to build its {@link OmniQHost} (structured-cloneable data
 * only). Internal: use `new OmniQ(...)` or `OmniQ.fromConfig(...)`.
 */
export interface OmniQHostSpec {
  source: HostSource;
  /** File URL of the handler module, imported in the host thread before components are built. */
  tasks?: string | undefined;
  taskOptions?: Record<string, TaskOptions> | undefined;
  /** Resolves relative paths and backend packages. */
  cwd: string;
  logLevel?: ConfigLogLevel | undefined;
  eventFlushMs?: number | undefined;
  resultPollMs?: { min?: number; max?: number } | undefined;
}

/** What the host reports once open. */
export interface OmniQHostInfo {
  /** Registered task names with the options they were registered with. */
  tasks: Array<{ name: string; options: TaskOptions }>;
  hasResults: boolean;
  hasEvents: boolean;
  /** The loaded configuration (`OmniQ.fromConfig` only). */
  config?: ResolvedOmniQConfig | undefined;
}
