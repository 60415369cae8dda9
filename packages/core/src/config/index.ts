export {
  CONFIG_LOG_LEVELS,
  type ComponentConfig,
  type ComponentSpec,
  type ConfigLogLevel,
  DEFAULT_COMPONENT_URL,
  type OmniQConfig,
  type ResolvedComponentSpec,
  type ResolvedOmniQConfig,
  type WorkerConfig,
} from "./config-types.js";
export type { ComponentKind } from "./config-layer.js";
export { inMemoryUrlFactory } from "./inmemory-factory.js";
export { type LoadConfigOptions, loadConfig } from "./load-config.js";
export { ENV_VARS, type EnvVar } from "./parse-env.js";
export { CONFIG_FILE_NAMES } from "./read-config-file.js";
export { redactConfig, redactUrl } from "./redact.js";
export {
  type BuiltComponents,
  buildComponents,
  type ComponentByKind,
  type ResolveOptions,
  resolveComponent,
} from "./resolve-component.js";
export {
  BUILTIN_SCHEME_PACKAGES,
  defaultSchemeRegistry,
  registerLazyScheme,
  registerUrlFactory,
  SchemeRegistry,
} from "./scheme-registry.js";
export { ConfiguredOmniQ, type CreateOmniQOptions, createOmniQ } from "./create-omniq.js";
