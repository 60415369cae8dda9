import type { EventStorage } from "../contracts/base-event-storage.js";
import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { TaskQueue } from "../contracts/queue-types.js";
import { ConfigError, MissingPackageError, OmniQError } from "../errors.js";
import { type CheckContext, fail, schemeOf } from "./check-values.js";
import type { ComponentConfig, OmniQConfig, ResolvedOmniQConfig } from "./config-types.js";
import type { ComponentKind, UrlSource } from "./config-layer.js";
import { isLoadedConfig, mergeLayers, urlSourceOf } from "./merge-layers.js";
import { parseComponent, parseConfigObject } from "./parse-config-object.js";
import { redactUrl, scrub, secretStrings } from "./redact.js";
import { defaultSchemeRegistry, type SchemeRegistry } from "./scheme-registry.js";

/** Options of {@link resolveComponent} and {@link buildComponents}. */
export interface ResolveOptions {
  /** Which URL schemes are known. @defaultValue defaultSchemeRegistry */
  registry?: SchemeRegistry;
  /** Where backend packages are resolved from (besides core's own location). @defaultValue process.cwd() */
  cwd?: string;
}

/** The component type built for each kind. */
export interface ComponentByKind {
  queue: TaskQueue;
  results: ResultStorage;
  events: EventStorage;
}

/** What {@link buildComponents} returns. */
export interface BuiltComponents {
  queue: TaskQueue;
  results?: ResultStorage;
  events?: EventStorage;
}

const METHOD: Record<ComponentKind, string> = {
  queue: "enqueue",
  results: "set",
  events: "append",
};

function wrapFactoryError(
  error: unknown,
  at: UrlSource,
  kind: string,
  url: string,
  secrets: string[],
): Error {
  const inner = error instanceof Error ? error : new Error(String(error));
  const clean = (text: string | undefined) => scrub(text ?? "", secrets);
  const leaks = secrets.some((s) => inner.message.includes(s) || (inner.stack ?? "").includes(s));
  const cause = leaks ? undefined : inner;
  if (inner instanceof MissingPackageError) {
    return new MissingPackageError(inner.packageName, clean(inner.message), { cause });
  }
  const reason =
    inner instanceof OmniQError ? clean(inner.message) : `${inner.name}: ${clean(inner.message)}`;
  return new ConfigError(
    at.key,
    `config: ${at.key}${at.where}: cannot build the ${kind} from "${redactUrl(url)}": ${reason}`,
    { cause },
  );
}

/**
 * Builds one component from its URL (and storageOptions/options) through the factory of the
 * URL's scheme, importing the backend package on first use.
 *
 * @throws ConfigError for a bad URL or options (the message never contains storageOptions values).
 * @throws MissingPackageError naming the package to install.
 *
 * @example
 * ```ts
 * const queue = await resolveComponent("queue", "sqlite:./omniq.db");
 * const results = await resolveComponent("results", {
 *   url: "s3://bucket/results",
 *   storageOptions: { region: "eu-west-1" },
 * });
 * ```
 */
export async function resolveComponent<K extends ComponentKind>(
  kind: K,
  cfg: ComponentConfig,
  options: ResolveOptions = {},
): Promise<ComponentByKind[K]> {
  const registry = options.registry ?? defaultSchemeRegistry;
  const ctx: CheckContext = { where: "", registry };
  const known = typeof cfg === "object" && cfg !== null ? urlSourceOf(cfg) : undefined;
  const at: UrlSource = known ?? { key: `${kind}.url`, where: "" };
  const spec = parseComponent(cfg, kind, ctx);
  if (spec.url === undefined) fail(`${kind}.url`, ctx, "required");
  const scheme = schemeOf(spec.url)!;
  const factory = await registry.factoryFor(scheme, { ...at, cwd: options.cwd });
  const secrets = secretStrings(spec.storageOptions);
  let built: unknown;
  try {
    const factoryOptions = {
      ...spec.options,
      ...(spec.storageOptions ? { storageOptions: spec.storageOptions } : {}),
    };
    built = factory[kind](spec.url, factoryOptions);
  } catch (error) {
    throw wrapFactoryError(error, at, kind, spec.url, secrets);
  }
  const obj = built as Record<string, unknown> | null;
  if (typeof obj?.close !== "function" || typeof obj[METHOD[kind]] !== "function") {
    throw new ConfigError(
      at.key,
      `config: ${at.key}${at.where}: the "${scheme}:" factory's ${kind}() returned something without ${METHOD[kind]}() and close()`,
    );
  }
  return built as ComponentByKind[K];
}

/**
 * Builds the configured components: the queue, and result and event storage when configured.
 * Takes what {@link loadConfig} returns, or a config object (validated here, with the same
 * embedded default). If one component fails to build, those already built are closed.
 *
 * @example
 * ```ts
 * const { queue, results, events } = await buildComponents(await loadConfig());
 * ```
 */
export async function buildComponents(
  config: OmniQConfig | ResolvedOmniQConfig = {},
  options: ResolveOptions = {},
): Promise<BuiltComponents> {
  const registry = options.registry ?? defaultSchemeRegistry;
  const resolved = isLoadedConfig(config)
    ? config
    : mergeLayers([parseConfigObject(config, { where: "", registry })]);
  const built: Array<{ close(): Promise<void> }> = [];
  try {
    const queue = await resolveComponent("queue", resolved.queue, options);
    built.push(queue);
    const out: BuiltComponents = { queue };
    if (resolved.results) {
      out.results = await resolveComponent("results", resolved.results, options);
      built.push(out.results);
    }
    if (resolved.events) {
      out.events = await resolveComponent("events", resolved.events, options);
      built.push(out.events);
    }
    return out;
  } catch (error) {
    await Promise.allSettled(built.map((c) => c.close()));
    throw error;
  }
}
