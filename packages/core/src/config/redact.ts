import type { ComponentSpec, ResolvedOmniQConfig } from "./config-types.js";

const REDACTED = "***";

/**
 * A URL safe to print: the user-info part (`user:password@`) and query values are masked.
 *
 * @example
 * ```ts
 * redactUrl("s3://AKIA:secret@bucket/prefix?token=abc") // "s3://***@bucket/prefix?token=***"
 * ```
 */
export function redactUrl(url: string): string {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, `$1${REDACTED}@`);
  const q = out.indexOf("?");
  if (q >= 0) {
    const hash = out.indexOf("#", q);
    const query = out.slice(q + 1, hash < 0 ? undefined : hash);
    const masked = query
      .split("&")
      .map((part) => {
        const eq = part.indexOf("=");
        return eq < 0 ? part : `${part.slice(0, eq)}=${REDACTED}`;
      })
      .join("&");
    out = `${out.slice(0, q + 1)}${masked}${hash < 0 ? "" : out.slice(hash)}`;
  }
  return out;
}

function redactComponent<T extends ComponentSpec | undefined>(spec: T): T {
  if (spec === undefined) return spec;
  const out: ComponentSpec = { ...spec };
  if (spec.url !== undefined) out.url = redactUrl(spec.url);
  if (spec.storageOptions !== undefined) {
    out.storageOptions = Object.fromEntries(
      Object.keys(spec.storageOptions).map((k) => [k, REDACTED]),
    );
  }
  return out as T;
}

/**
 * A copy of a loaded configuration that is safe to log: URL credentials and every
 * `storageOptions` value are masked (the keys stay, so you can see what was set).
 *
 * @example
 * ```ts
 * console.log(redactConfig(await loadConfig()));
 * ```
 */
export function redactConfig(config: ResolvedOmniQConfig): ResolvedOmniQConfig {
  const out: ResolvedOmniQConfig = { ...config, queue: redactComponent(config.queue) };
  if (config.results) out.results = redactComponent(config.results);
  if (config.events) out.events = redactComponent(config.events);
  return out;
}

/** String leaves of `storageOptions` (the secrets) long enough to be worth scrubbing. */
export function secretStrings(storageOptions: Record<string, unknown> | undefined): string[] {
  const found: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 8) return;
    if (typeof value === "string") {
      if (value.length >= 4) found.push(value);
    } else if (Array.isArray(value)) {
      for (const v of value) visit(v, depth + 1);
    } else if (value !== null && typeof value === "object") {
      for (const v of Object.values(value)) visit(v, depth + 1);
    }
  };
  visit(storageOptions, 0);
  return found;
}

/** `text` with every occurrence of each secret replaced by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return out;
}
