/**
 * Library logging (debugging OmniQ itself), separate from task events. Pino-compatible:
 * pass a pino logger, `console`-backed {@link consoleLogger}, or anything with these four
 * methods. Silent unless you pass one. OmniQ never logs task args, results or credentials
 * at `info` or above; task ids, names and queues are logged.
 *
 * @example
 * ```ts
 * import pino from "pino";
 * const omniq = new AsyncOmniQ({ queue, logger: pino({ level: "debug" }) });
 * // or
 * const omniq = new AsyncOmniQ({ queue, logger: consoleLogger("info") });
 * ```
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

const noop = (): void => {};

/** The default logger: drops everything. */
export const silentLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
});

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A logger writing one line per record to `console` (stderr for warn/error), at `level` and above.
 *
 * @example
 * ```ts
 * const log = consoleLogger("debug");
 * log.info({ taskId: "t1" }, "claimed"); // [omniq] info claimed {"taskId":"t1"}
 * ```
 */
export function consoleLogger(level: LogLevel = "info"): Logger {
  const make =
    (at: LogLevel, write: (line: string) => void) =>
    (obj: object | string, msg?: string): void => {
      if (RANK[at] < RANK[level]) return;
      if (typeof obj === "string") {
        write(`[omniq] ${at} ${obj}`);
        return;
      }
      write(`[omniq] ${at} ${msg ?? ""} ${safeJson(obj)}`);
    };
  return {
    debug: make("debug", (l) => console.debug(l)),
    info: make("info", (l) => console.info(l)),
    warn: make("warn", (l) => console.warn(l)),
    error: make("error", (l) => console.error(l)),
  };
}

function safeJson(obj: object): string {
  try {
    return JSON.stringify(obj, (_k, v: unknown) =>
      v instanceof Error ? { name: v.name, message: v.message } : v,
    );
  } catch {
    return "[unserializable]";
  }
}
