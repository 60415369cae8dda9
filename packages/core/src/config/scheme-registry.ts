import { ConfigError } from "../errors.js";
import { inMemoryUrlFactory } from "./inmemory-factory.js";
import { loadPackage } from "./load-package.js";
import type { UrlFactory } from "./url-factory.js";

type Entry =
  | { kind: "factory"; factory: UrlFactory }
  | { kind: "lazy"; packageName: string; loading?: Promise<UrlFactory> };

const SCHEME = /^[a-z][a-z0-9+.-]*$/;

/** The schemes OmniQ maps to its own backend packages. */
export const BUILTIN_SCHEME_PACKAGES: Readonly<Record<string, string>> = {
  sqlite: "@omniq/sqlite",
  memory: "@omniq/file",
  file: "@omniq/file",
  s3: "@omniq/file",
  azure: "@omniq/file",
  gs: "@omniq/file",
};

function checkScheme(scheme: string): string {
  if (!SCHEME.test(scheme)) {
    throw new ConfigError(
      "scheme",
      `config: scheme ${JSON.stringify(scheme)}: expected lower-case letters, digits, "+", "-" or "." starting with a letter, without the colon`,
    );
  }
  return scheme;
}

function isUrlFactory(value: unknown): value is UrlFactory {
  if (value === null || typeof value !== "object") return false;
  const f = value as Record<string, unknown>;
  return (
    Array.isArray(f.schemes) &&
    typeof f.queue === "function" &&
    typeof f.results === "function" &&
    typeof f.events === "function"
  );
}

/**
 * Maps URL schemes to the {@link UrlFactory} that builds components for them, either
 * given directly or loaded lazily from a package's `omniqUrlFactory` export on first use.
 * There is one shared instance ({@link defaultSchemeRegistry}, which the `register*`
 * functions change); pass your own to `loadConfig`/`resolveComponent` to keep a scope apart.
 *
 * @example
 * ```ts
 * const registry = new SchemeRegistry();
 * registry.register(myRedisFactory); // schemes: ["redis"]
 * const queue = await resolveComponent("queue", "redis://localhost", { registry });
 * ```
 */
export class SchemeRegistry {
  readonly #entries = new Map<string, Entry>();

  /**
   * @param options.builtins - map `sqlite`, `memory`, `file`, `s3`, `azure`, `gs` to their
   * packages and `inmemory` to core's memory components. @defaultValue true
   */
  constructor(options: { builtins?: boolean } = {}) {
    if (options.builtins !== false) {
      for (const [scheme, pkg] of Object.entries(BUILTIN_SCHEME_PACKAGES)) {
        this.registerLazy(scheme, pkg);
      }
      this.register(inMemoryUrlFactory);
    }
  }

  /** Serves every scheme in `factory.schemes` with `factory`, replacing earlier mappings. */
  register(factory: UrlFactory): this {
    if (!isUrlFactory(factory)) {
      throw new ConfigError(
        "factory",
        "config: registerUrlFactory: expected { schemes: string[], queue(), results(), events() }",
      );
    }
    if (factory.schemes.length === 0) {
      throw new ConfigError("factory", "config: registerUrlFactory: factory.schemes is empty");
    }
    for (const scheme of factory.schemes) checkScheme(scheme);
    for (const scheme of factory.schemes) this.#entries.set(scheme, { kind: "factory", factory });
    return this;
  }

  /** Serves `scheme` with the `omniqUrlFactory` export of `packageName`, imported on first use. */
  registerLazy(scheme: string, packageName: string): this {
    checkScheme(scheme);
    if (typeof packageName !== "string" || packageName.trim() === "") {
      throw new ConfigError(
        "packageName",
        `config: registerLazyScheme("${scheme}"): expected a package name`,
      );
    }
    this.#entries.set(scheme, { kind: "lazy", packageName });
    return this;
  }

  has(scheme: string): boolean {
    return this.#entries.has(scheme);
  }

  /** Known schemes, sorted. */
  schemes(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** The package a lazily mapped scheme loads, if any. */
  packageFor(scheme: string): string | undefined {
    const entry = this.#entries.get(scheme);
    return entry?.kind === "lazy" ? entry.packageName : undefined;
  }

  /**
   * The factory for `scheme`, importing its package when needed.
   * `key` names the setting in errors; `cwd` is where the application's packages live.
   */
  async factoryFor(
    scheme: string,
    options: { key: string; where?: string; cwd?: string },
  ): Promise<UrlFactory> {
    const entry = this.#entries.get(scheme);
    if (entry === undefined) {
      throw new ConfigError(
        options.key,
        `config: ${options.key}: unknown scheme "${scheme}:" (known schemes: ${this.schemes().join(", ")})`,
      );
    }
    if (entry.kind === "factory") return entry.factory;
    entry.loading ??= this.#load(scheme, entry.packageName, options);
    try {
      return await entry.loading;
    } catch (error) {
      entry.loading = undefined; // let a later call retry (e.g. after installing the package)
      throw error;
    }
  }

  async #load(
    scheme: string,
    packageName: string,
    options: { key: string; where?: string; cwd?: string },
  ): Promise<UrlFactory> {
    const mod = await loadPackage(
      packageName,
      options.cwd ?? process.cwd(),
      `${options.key}${options.where ?? ""} (scheme "${scheme}:")`,
    );
    const factory = mod.omniqUrlFactory;
    if (!isUrlFactory(factory)) {
      throw new ConfigError(
        options.key,
        `config: ${options.key}: ${packageName} does not export a valid omniqUrlFactory; install a version that supports URLs`,
      );
    }
    if (!factory.schemes.includes(scheme)) {
      throw new ConfigError(
        options.key,
        `config: ${options.key}: ${packageName}'s omniqUrlFactory does not serve "${scheme}:" (it serves ${factory.schemes.join(", ")})`,
      );
    }
    return factory;
  }
}

/** The registry `loadConfig`, `resolveComponent` and `createOmniQ` use unless given another. */
export const defaultSchemeRegistry: SchemeRegistry = new SchemeRegistry();

/**
 * Makes a third-party backend's URL schemes available to configuration.
 *
 * @example
 * ```ts
 * import { omniqUrlFactory } from "omniq-redis";
 * registerUrlFactory(omniqUrlFactory); // now "redis://..." works in OMNIQ_QUEUE_URL
 * ```
 */
export function registerUrlFactory(factory: UrlFactory): void {
  defaultSchemeRegistry.register(factory);
}

/**
 * Maps `scheme` to a package whose `omniqUrlFactory` serves it, imported only when a
 * URL with that scheme is resolved (a missing package is a MissingPackageError).
 *
 * @example
 * ```ts
 * registerLazyScheme("redis", "omniq-redis");
 * ```
 */
export function registerLazyScheme(scheme: string, packageName: string): void {
  defaultSchemeRegistry.registerLazy(scheme, packageName);
}
