import type { ComponentSpec, WorkerConfig } from "./config-types.js";
import { COMPONENT_KINDS, type ConfigLayer } from "./config-layer.js";
import {
  type CheckContext,
  checkInt,
  checkLogLevel,
  checkQueues,
  checkUrl,
  fail,
  isPlainObject,
  shown,
} from "./check-values.js";
import { closestMatch } from "./did-you-mean.js";

/** Every environment variable configuration reads. */
export const ENV_VARS = [
  "OMNIQ_CONFIG",
  "OMNIQ_URL",
  "OMNIQ_STORAGE_OPTIONS",
  "OMNIQ_QUEUE_URL",
  "OMNIQ_QUEUE_STORAGE_OPTIONS",
  "OMNIQ_RESULTS_URL",
  "OMNIQ_RESULTS_STORAGE_OPTIONS",
  "OMNIQ_EVENTS_URL",
  "OMNIQ_EVENTS_STORAGE_OPTIONS",
  "OMNIQ_WORKER_QUEUES",
  "OMNIQ_WORKER_CONCURRENCY",
  "OMNIQ_LEASE_MS",
  "OMNIQ_GRACEFUL_STOP_MS",
  "OMNIQ_WORKER_PREFETCH",
  "OMNIQ_POLL_INTERVAL_MS",
  "OMNIQ_LOG_LEVEL",
] as const;

export type EnvVar = (typeof ENV_VARS)[number];
export type Env = Readonly<Record<string, string | undefined>>;

const OFF = "none";

/** The variable's value, or `undefined` when unset or blank (blank counts as unset). */
export function envValue(env: Env, name: EnvVar): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function envInt(env: Env, name: EnvVar, ctx: CheckContext, min: number): number | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  if (!/^[0-9]+$/.test(raw)) {
    fail(
      name,
      ctx,
      `expected ${min === 0 ? "a non-negative" : "a positive"} integer, got ${shown(raw)}`,
    );
  }
  return checkInt(Number(raw), name, ctx, min);
}

/** JSON object of storage options; neither the value nor the parser's message (which quotes it) is shown. */
function envStorageOptions(
  env: Env,
  name: EnvVar,
  ctx: CheckContext,
): Record<string, unknown> | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail(
      name,
      ctx,
      'expected a JSON object (e.g. {"region":"eu-west-1"}), got text that is not valid JSON',
    );
  }
  if (!isPlainObject(parsed)) {
    fail(
      name,
      ctx,
      `expected a JSON object, got ${Array.isArray(parsed) ? "an array" : `JSON ${parsed === null ? "null" : typeof parsed}`}`,
    );
  }
  return parsed;
}

/** Rejects a variable that is one typo away from one OmniQ reads; others are left alone. */
function checkTypos(env: Env, ctx: CheckContext): void {
  for (const name of Object.keys(env)) {
    if (!name.startsWith("OMNIQ_") || (ENV_VARS as readonly string[]).includes(name)) continue;
    if (env[name] === undefined) continue;
    const match = closestMatch(name, ENV_VARS, 2);
    if (match !== undefined) {
      fail(
        name,
        ctx,
        `unknown variable; did you mean ${match}? (OmniQ reads: ${ENV_VARS.join(", ")})`,
      );
    }
  }
}

/**
 * Reads the `OMNIQ_*` variables into a configuration layer. Error keys are the variable names.
 * `OMNIQ_URL`/`OMNIQ_STORAGE_OPTIONS` set all three components; the per-component ones win over them.
 */
export function parseEnv(env: Env, ctx: CheckContext): ConfigLayer {
  checkTypos(env, ctx);
  const layer: ConfigLayer = { urlSources: {} };
  const sharedUrl = envValue(env, "OMNIQ_URL");
  if (sharedUrl !== undefined) checkUrl(sharedUrl, "OMNIQ_URL", ctx);
  const sharedOptions = envStorageOptions(env, "OMNIQ_STORAGE_OPTIONS", ctx);

  for (const kind of COMPONENT_KINDS) {
    const upper = kind.toUpperCase();
    const urlVar = `OMNIQ_${upper}_URL` as EnvVar;
    const optionsVar = `OMNIQ_${upper}_STORAGE_OPTIONS` as EnvVar;
    const ownUrl = envValue(env, urlVar);
    if (ownUrl?.toLowerCase() === OFF) {
      if (kind === "queue") fail(urlVar, ctx, `the queue cannot be turned off ("${OFF}")`);
      layer[kind] = null;
      continue;
    }
    const spec: ComponentSpec = {};
    if (ownUrl !== undefined) {
      spec.url = checkUrl(ownUrl, urlVar, ctx);
      layer.urlSources![kind] = { key: urlVar, where: ctx.where };
    } else if (sharedUrl !== undefined) {
      spec.url = sharedUrl;
      layer.urlSources![kind] = { key: "OMNIQ_URL", where: ctx.where };
    }
    const storageOptions = envStorageOptions(env, optionsVar, ctx) ?? sharedOptions;
    if (storageOptions !== undefined) spec.storageOptions = storageOptions;
    if (Object.keys(spec).length > 0) layer[kind] = spec;
  }

  const worker: WorkerConfig = {};
  const queues = envValue(env, "OMNIQ_WORKER_QUEUES");
  if (queues !== undefined) {
    worker.queues = checkQueues(
      queues.split(",").map((q) => q.trim()),
      "OMNIQ_WORKER_QUEUES",
      ctx,
    );
  }
  const concurrency = envInt(env, "OMNIQ_WORKER_CONCURRENCY", ctx, 1);
  if (concurrency !== undefined) worker.concurrency = concurrency;
  const leaseMs = envInt(env, "OMNIQ_LEASE_MS", ctx, 1);
  if (leaseMs !== undefined) worker.leaseMs = leaseMs;
  const graceful = envInt(env, "OMNIQ_GRACEFUL_STOP_MS", ctx, 0);
  if (graceful !== undefined) worker.gracefulStopMs = graceful;
  const prefetch = envInt(env, "OMNIQ_WORKER_PREFETCH", ctx, 0);
  if (prefetch !== undefined) worker.prefetch = prefetch;
  const poll = envValue(env, "OMNIQ_POLL_INTERVAL_MS");
  if (poll !== undefined) {
    const m = /^\s*([0-9]+)\s*(?:,\s*([0-9]+)\s*)?$/.exec(poll);
    if (!m)
      fail(
        "OMNIQ_POLL_INTERVAL_MS",
        ctx,
        `expected "min,max" or one number of ms, got ${shown(poll)}`,
      );
    const min = checkInt(Number(m[1]), "OMNIQ_POLL_INTERVAL_MS", ctx, 1);
    const max = checkInt(Number(m[2] ?? m[1]), "OMNIQ_POLL_INTERVAL_MS", ctx, 1);
    if (min > max) fail("OMNIQ_POLL_INTERVAL_MS", ctx, `expected min <= max, got ${shown(poll)}`);
    worker.pollIntervalMs = { min, max };
  }
  if (Object.keys(worker).length > 0) layer.worker = worker;

  const level = envValue(env, "OMNIQ_LOG_LEVEL");
  if (level !== undefined)
    layer.logLevel = checkLogLevel(level.toLowerCase(), "OMNIQ_LOG_LEVEL", ctx);
  return layer;
}
