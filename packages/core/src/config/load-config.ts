import { resolve } from "node:path";
import type { CheckContext } from "./check-values.js";
import type { OmniQConfig, ResolvedOmniQConfig } from "./config-types.js";
import type { ConfigLayer } from "./config-layer.js";
import { mergeLayers } from "./merge-layers.js";
import { parseConfigObject } from "./parse-config-object.js";
import { type Env, envValue, parseEnv } from "./parse-env.js";
import { findConfigFile, readConfigFile } from "./read-config-file.js";
import { defaultSchemeRegistry, type SchemeRegistry } from "./scheme-registry.js";

/** Options of {@link loadConfig}; every field is optional. */
export interface LoadConfigOptions {
  /**
   * A JSON or YAML config file (relative to `cwd`). `false`: read no file.
   * @defaultValue `OMNIQ_CONFIG`, else `omniq.config.json`/`.yaml`/`.yml` in `cwd` if present
   */
  file?: string | false;
  /** Environment variables to read. Pass `{}` to ignore the environment. @defaultValue process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Settings given in code: they override the file and the environment. */
  config?: OmniQConfig;
  /** Where the config file is looked for and backend packages are resolved from. @defaultValue process.cwd() */
  cwd?: string;
  /** Which URL schemes are known. @defaultValue defaultSchemeRegistry */
  registry?: SchemeRegistry;
}

/**
 * Loads the configuration from, lowest precedence first: the embedded default
 * (`sqlite:./omniq.db`), a JSON/YAML file, `OMNIQ_*` environment variables, and the
 * `config` object given in code. Everything is validated before anything is built: a bad
 * setting is a ConfigError whose `key` names it (`worker.concurrency`, `OMNIQ_QUEUE_URL`).
 *
 * @example
 * ```ts
 * const config = await loadConfig({ config: { worker: { concurrency: 4 } } });
 * const { queue, results } = await buildComponents(config);
 * ```
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedOmniQConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env: Env = options.env ?? process.env;
  const registry = options.registry ?? defaultSchemeRegistry;
  const layers: ConfigLayer[] = [];

  let file: string | undefined;
  let fileKey = "file";
  if (options.file === false) file = undefined;
  else if (options.file !== undefined) file = options.file;
  else if (envValue(env, "OMNIQ_CONFIG") !== undefined) {
    file = envValue(env, "OMNIQ_CONFIG");
    fileKey = "OMNIQ_CONFIG";
  } else file = findConfigFile(cwd);
  if (file !== undefined) {
    const raw = await readConfigFile(file, cwd, fileKey);
    const ctx: CheckContext = { where: ` in ${file}`, registry };
    layers.push(parseConfigObject(raw, ctx));
  }
  layers.push(parseEnv(env, { where: "", registry }));
  if (options.config !== undefined) {
    layers.push(parseConfigObject(options.config, { where: "", registry }));
  }
  return mergeLayers(layers);
}
