import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ComponentConfig } from "../config/config-types.js";
import { ConfigError } from "../errors.js";
import type { BlockingSpec } from "../sync/protocol.js";
import { findUncloneable } from "../sync/uncloneable-path.js";
import type { HostComponent } from "./omniq-host-spec.js";

/** Anything the sync bridge built: it carries the spec another thread can rebuild it from. */
export interface BlockingComponent {
  readonly blockingSpec: BlockingSpec;
}

/**
 * A component of the blocking `OmniQ`: a blocking twin (`new SQLiteQueue({ path })`), a URL
 * (`"sqlite:./omniq.db"`, `"inmemory:"`) or a {@link ComponentConfig} object.
 */
export type OmniQComponent = BlockingComponent | ComponentConfig;

function isTwin(value: unknown): value is BlockingComponent {
  const spec = (value as { blockingSpec?: Partial<BlockingSpec> } | null)?.blockingSpec;
  return (
    typeof spec === "object" &&
    spec !== null &&
    typeof spec.module === "string" &&
    typeof spec.exportName === "string" &&
    Array.isArray(spec.args)
  );
}

const MEMORY_STRING = /^(:memory:|file::memory:|(in)?memory:)|[?&]mode=memory\b/i;

function memoryIn(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === "string") {
    return MEMORY_STRING.test(value) ? `${path} is ${JSON.stringify(value)}` : undefined;
  }
  if (value === null || typeof value !== "object" || depth > 8) return undefined;
  const rec = value as Record<string, unknown>;
  if (!Array.isArray(value) && rec.kind === "memory") return `${path}.kind is "memory"`;
  for (const [key, v] of Object.entries(rec)) {
    const found = memoryIn(
      v,
      Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`,
      depth + 1,
    );
    if (found) return found;
  }
  return undefined;
}

/**
 * Why a twin's store lives in the memory of its own thread (so a copy rebuilt in another thread
 * would share nothing with it), or `undefined`: `:memory:` SQLite, `memory://` / `inmemory:`
 * URLs, memory storage targets and core's memory components.
 */
export function inMemoryReason(spec: BlockingSpec): string | undefined {
  if (/memory/i.test(spec.exportName)) return `${spec.exportName} keeps its data in memory`;
  return memoryIn(spec.args, "args", 0);
}

/** Checks one component given to `new OmniQ(...)` and turns it into what crosses into the host. */
export function toHostComponent(key: string, value: unknown): HostComponent {
  if (isTwin(value)) {
    const spec = value.blockingSpec;
    const reason = inMemoryReason(spec);
    if (reason !== undefined) {
      throw new ConfigError(
        key,
        `omniq: ${key}: the blocking ${spec.exportName.replace(/^Async/, "")} given is an in-memory store (${reason}); ` +
          "the OmniQ rebuilds each twin in its own thread, where a second in-memory store would share no data with yours. " +
          'Give a file or database path, or a URL such as "inmemory:" or "sqlite::memory:" (built inside the OmniQ\'s thread, reachable only through the OmniQ)',
      );
    }
    return {
      from: "twin",
      spec: { module: spec.module, exportName: spec.exportName, args: [...spec.args] },
    };
  }
  if (
    typeof value === "string" ||
    (typeof value === "object" && value !== null && !Array.isArray(value))
  ) {
    const proto: unknown = typeof value === "object" ? Object.getPrototypeOf(value) : null;
    if (proto !== null && proto !== Object.prototype && typeof value === "object") {
      throw new ConfigError(
        key,
        `omniq: ${key}: expected a blocking twin (e.g. new SQLiteQueue({ path })), a URL or { url, storageOptions, options }; ` +
          "an async component cannot cross into the OmniQ's thread: pass its blocking twin or its URL",
      );
    }
    checkCloneable(key, value);
    return { from: "config", config: value as ComponentConfig };
  }
  throw new ConfigError(
    key,
    `omniq: ${key}: expected a blocking twin, a URL string or { url, storageOptions, options }, got ${value === null ? "null" : typeof value}`,
  );
}

/** Throws a ConfigError naming `key` and the path of the first value that cannot cross threads. */
export function checkCloneable(key: string, value: unknown): void {
  const found = findUncloneable(value);
  if (!found) return;
  const path = `${key}${found.path}`;
  throw new ConfigError(
    path,
    `omniq: ${path}: ${found.what} cannot cross into the OmniQ's thread (its settings are structured-cloned: plain data only)`,
  );
}

/** The handler module as a URL the host thread can import: file URLs and `data:` as given, paths resolved against `cwd`. */
export function toModuleUrl(module: unknown, cwd: string): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== "string" || module === "") {
    throw new ConfigError(
      "tasks",
      "omniq: tasks: expected the handler module as a file path or a file URL string",
    );
  }
  if (/^(file|data):/i.test(module)) return new URL(module).href;
  return pathToFileURL(resolve(cwd, module)).href;
}
