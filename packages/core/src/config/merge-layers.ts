import { ConfigError } from "../errors.js";
import { schemeOf } from "./check-values.js";
import {
  type ComponentSpec,
  DEFAULT_COMPONENT_URL,
  type ResolvedComponentSpec,
  type ResolvedOmniQConfig,
} from "./config-types.js";
import {
  COMPONENT_KINDS,
  type ComponentKind,
  type ConfigLayer,
  type UrlSource,
} from "./config-layer.js";

const sources = new WeakMap<ResolvedComponentSpec, UrlSource>();
const loaded = new WeakSet<ResolvedOmniQConfig>();

/** Where a loaded component's URL came from (`OMNIQ_QUEUE_URL`, `queue.url` in a file, ...). */
export function urlSourceOf(spec: object): UrlSource | undefined {
  return sources.get(spec as ResolvedComponentSpec);
}

/** Whether `config` came out of {@link mergeLayers} (so it need not be validated again). */
export function isLoadedConfig(config: object): config is ResolvedOmniQConfig {
  return loaded.has(config as ResolvedOmniQConfig);
}

/**
 * A higher source's component over a lower one's, field by field. When the higher one
 * changes the URL's scheme, the lower one's storageOptions and options are dropped: they
 * were meant for another backend.
 */
function mergeComponent(
  lower: ComponentSpec | null | undefined,
  upper: ComponentSpec | null | undefined,
): ComponentSpec | null | undefined {
  if (upper === undefined) return lower;
  if (upper === null || lower === null || lower === undefined) return upper;
  const sameBackend =
    upper.url === undefined ||
    lower.url === undefined ||
    schemeOf(upper.url) === schemeOf(lower.url);
  const base: ComponentSpec = sameBackend ? { ...lower } : {};
  return { ...base, ...upper };
}

/**
 * Merges layers, lowest precedence first, and applies the embedded default: when no layer
 * gives the queue a URL, queue and results go to `sqlite:./omniq.db` (results only when
 * no layer mentions them).
 */
export function mergeLayers(layers: readonly ConfigLayer[]): ResolvedOmniQConfig {
  const merged: ConfigLayer = {};
  const urlSources: Partial<Record<ComponentKind, UrlSource>> = {};
  for (const layer of layers) {
    for (const kind of COMPONENT_KINDS) {
      const next = mergeComponent(merged[kind], layer[kind]);
      if (next === undefined) continue;
      if (kind === "queue") merged.queue = next ?? undefined;
      else merged[kind] = next;
      const source = layer.urlSources?.[kind];
      if (source !== undefined) urlSources[kind] = source;
      if (layer[kind] === null) delete urlSources[kind];
    }
    if (layer.worker !== undefined) merged.worker = { ...merged.worker, ...layer.worker };
    if (layer.logLevel !== undefined) merged.logLevel = layer.logLevel;
  }

  const out: ResolvedOmniQConfig = {
    queue: { ...merged.queue, url: merged.queue?.url ?? DEFAULT_COMPONENT_URL },
    worker: merged.worker ?? {},
  };
  if (merged.queue?.url === undefined) {
    urlSources.queue = { key: "queue.url", where: " (the embedded default)" };
    if (merged.results === undefined) {
      merged.results = { url: DEFAULT_COMPONENT_URL };
      urlSources.results = { key: "results.url", where: " (the embedded default)" };
    }
  }
  for (const kind of ["results", "events"] as const) {
    const spec = merged[kind];
    if (spec === null || spec === undefined) continue;
    if (spec.url === undefined) {
      throw new ConfigError(
        `${kind}.url`,
        `config: ${kind}.url: required (${kind} has storageOptions or options but no URL)`,
      );
    }
    out[kind] = { ...spec, url: spec.url };
  }
  if (merged.logLevel !== undefined) out.logLevel = merged.logLevel;
  for (const kind of COMPONENT_KINDS) {
    const spec = out[kind];
    const source = urlSources[kind];
    if (spec !== undefined && source !== undefined) sources.set(spec, source);
  }
  loaded.add(out);
  return out;
}
