import type { ComponentSpec, ConfigLogLevel, WorkerConfig } from "./config-types.js";

/** One source's settings (defaults, file, environment or code), validated, before merging. */
export interface ConfigLayer {
  queue?: ComponentSpec;
  /** `null`: this source turns the component off. */
  results?: ComponentSpec | null;
  events?: ComponentSpec | null;
  worker?: WorkerConfig;
  logLevel?: ConfigLogLevel;
  /** Where each component's URL came from, for errors raised when it is built. */
  urlSources?: Partial<Record<ComponentKind, UrlSource>>;
}

export type ComponentKind = "queue" | "results" | "events";

export const COMPONENT_KINDS: readonly ComponentKind[] = ["queue", "results", "events"];

/** The setting a URL came from: `{ key: "queue.url", where: " in ./omniq.yaml" }`, `{ key: "OMNIQ_QUEUE_URL", where: "" }`. */
export interface UrlSource {
  key: string;
  where: string;
}
