import { consoleLogger, type Logger, silentLogger } from "../logger.js";
import { AsyncOmniQ, type AsyncOmniQOptions } from "../omniq/async-omniq.js";
import type { Worker } from "../worker/worker.js";
import type { WorkerOptions } from "../worker/worker-options.js";
import type { ResolvedOmniQConfig } from "./config-types.js";
import { type LoadConfigOptions, loadConfig } from "./load-config.js";
import { buildComponents } from "./resolve-component.js";

/** Options of {@link createOmniQ}: where to load configuration from, plus a logger. */
export interface CreateOmniQOptions extends LoadConfigOptions {
  /** Library logger; overrides `logLevel` from the configuration. @defaultValue from `logLevel`, silent when unset */
  logger?: Logger;
}

/**
 * An {@link AsyncOmniQ} built from configuration. It keeps the loaded configuration
 * (`config`; print it with `redactConfig`) and its `worker()` starts from the configured
 * worker settings, which options passed to `worker()` override field by field.
 */
export class ConfiguredOmniQ extends AsyncOmniQ {
  readonly config: ResolvedOmniQConfig;

  constructor(config: ResolvedOmniQConfig, options: AsyncOmniQOptions) {
    super(options);
    this.config = config;
  }

  override worker(options: WorkerOptions = {}): Worker {
    return super.worker({ ...this.config.worker, ...options });
  }
}

function loggerFor(config: ResolvedOmniQConfig, logger: Logger | undefined): Logger {
  if (logger !== undefined) return logger;
  if (config.logLevel === undefined || config.logLevel === "silent") return silentLogger;
  return consoleLogger(config.logLevel);
}

/**
 * Loads the configuration (defaults < file < `OMNIQ_*` environment < `config` in code),
 * builds the components from their URLs and returns the facade.
 *
 * @example
 * ```ts
 * // Reads omniq.config.{json,yaml,yml} and OMNIQ_*; with neither, SQLite in ./omniq.db.
 * await using omniq = await createOmniQ();
 * const add = omniq.task("add", (a: number, b: number) => a + b);
 * await omniq.worker().run(); // worker.* settings from the configuration
 * ```
 */
export async function createOmniQ(options: CreateOmniQOptions = {}): Promise<ConfiguredOmniQ> {
  const { logger, ...loadOptions } = options;
  const config = await loadConfig(loadOptions);
  const components = await buildComponents(config, {
    registry: loadOptions.registry,
    cwd: loadOptions.cwd,
  });
  try {
    return new ConfiguredOmniQ(config, { ...components, logger: loggerFor(config, logger) });
  } catch (error) {
    await Promise.allSettled(
      [components.queue, components.results, components.events].map((c) => c?.close()),
    );
    throw error;
  }
}
