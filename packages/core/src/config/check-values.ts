import { ConfigError, ValidationError } from "../errors.js";
import { describe, validateQueueName } from "../ids.js";
import { CONFIG_LOG_LEVELS, type ConfigLogLevel } from "./config-types.js";
import { didYouMean } from "./did-you-mean.js";
import { redactUrl } from "./redact.js";
import type { SchemeRegistry } from "./scheme-registry.js";

/** Where a setting came from, for messages: `""` (code), `" in ./omniq.yaml"`, `" (environment)"`. */
export interface CheckContext {
  where: string;
  registry: SchemeRegistry;
}

/** Throws the {@link ConfigError} every configuration check raises. */
export function fail(key: string, ctx: Pick<CheckContext, "where">, reason: string): never {
  throw new ConfigError(key, `config: ${key}${ctx.where}: ${reason}`);
}

/** `"four" (a string)`, `an array`: a non-secret value for an error message. */
export function shown(value: unknown): string {
  if (typeof value === "string") {
    const text = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `${JSON.stringify(text)} (a string)`;
  }
  if (typeof value === "number" || typeof value === "boolean")
    return `${value} (a ${typeof value})`;
  return describe(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Rejects keys of `obj` not in `known`, with a did-you-mean. `prefix` is `""` or `"worker."`. */
export function checkKeys(
  obj: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
  ctx: Pick<CheckContext, "where">,
): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    fail(
      `${prefix}${key}`,
      ctx,
      `unknown key${didYouMean(key, known)} (known keys${prefix ? ` of ${prefix.slice(0, -1)}` : ""}: ${known.join(", ")})`,
    );
  }
}

/** Lower-cased scheme of a URL, or `undefined` when it has none. */
export function schemeOf(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
}

/** A component URL: a string with a scheme the registry knows. Messages show it redacted. */
export function checkUrl(value: unknown, key: string, ctx: CheckContext): string {
  if (typeof value !== "string") fail(key, ctx, `expected a URL string, got ${describe(value)}`);
  const url = value.trim();
  if (url === "") fail(key, ctx, "expected a URL, got an empty string");
  const scheme = schemeOf(url);
  const known = ctx.registry.schemes();
  if (scheme === undefined) {
    fail(
      key,
      ctx,
      `"${redactUrl(url)}" has no scheme; expected e.g. "sqlite:./omniq.db" (known schemes: ${known.join(", ")})`,
    );
  }
  if (!ctx.registry.has(scheme)) {
    fail(
      key,
      ctx,
      `unknown scheme "${scheme}:"${didYouMean(scheme, known)} (known schemes: ${known.join(", ")}; add others with registerUrlFactory)`,
    );
  }
  return url;
}

/** An integer within bounds; `what` reads like "a positive integer". */
export function checkInt(
  value: unknown,
  key: string,
  ctx: Pick<CheckContext, "where">,
  min: number,
): number {
  const what = min === 0 ? "a non-negative integer" : `an integer >= ${min}`;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    fail(key, ctx, `expected ${what}, got ${shown(value)}`);
  }
  return value;
}

export function checkQueues(
  value: unknown,
  key: string,
  ctx: Pick<CheckContext, "where">,
): string[] {
  if (!Array.isArray(value)) {
    const hint = typeof value === "string" ? ' (write a list, e.g. ["emails", "default"])' : "";
    fail(key, ctx, `expected an array of queue names, got ${shown(value)}${hint}`);
  }
  if (value.length === 0) fail(key, ctx, "expected at least one queue name, got an empty array");
  return value.map((name, i) => {
    try {
      return validateQueueName(name, `${key}[${i}]`);
    } catch (e) {
      if (e instanceof ValidationError)
        fail(`${key}[${i}]`, ctx, e.message.replace(/^[^:]*: /, ""));
      throw e;
    }
  });
}

export function checkLogLevel(
  value: unknown,
  key: string,
  ctx: Pick<CheckContext, "where">,
): ConfigLogLevel {
  if (typeof value === "string" && (CONFIG_LOG_LEVELS as readonly string[]).includes(value)) {
    return value as ConfigLogLevel;
  }
  const hint = typeof value === "string" ? didYouMean(value, CONFIG_LOG_LEVELS) : "";
  fail(key, ctx, `expected one of ${CONFIG_LOG_LEVELS.join(", ")}, got ${shown(value)}${hint}`);
}

/** A plain object whose contents are never shown (storageOptions may hold credentials). */
export function checkSecretObject(
  value: unknown,
  key: string,
  ctx: Pick<CheckContext, "where">,
): Record<string, unknown> {
  if (!isPlainObject(value)) fail(key, ctx, `expected an object, got ${describe(value)}`);
  return value;
}
