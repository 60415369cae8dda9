import { describe } from "../ids.js";
import type { ComponentSpec, WorkerConfig } from "./config-types.js";
import { COMPONENT_KINDS, type ConfigLayer } from "./config-layer.js";
import {
  type CheckContext,
  checkInt,
  checkKeys,
  checkLogLevel,
  checkQueues,
  checkSecretObject,
  checkUrl,
  fail,
  isPlainObject,
} from "./check-values.js";

const TOP_KEYS = ["queue", "results", "events", "worker", "logLevel"] as const;
const COMPONENT_KEYS = ["url", "storageOptions", "options"] as const;
const WORKER_KEYS = [
  "queues",
  "concurrency",
  "leaseMs",
  "gracefulStopMs",
  "pollIntervalMs",
  "prefetch",
] as const;
const POLL_KEYS = ["min", "max"] as const;

export function parseComponent(value: unknown, key: string, ctx: CheckContext): ComponentSpec {
  if (typeof value === "string") return { url: checkUrl(value, `${key}.url`, ctx) };
  if (!isPlainObject(value)) {
    fail(
      key,
      ctx,
      `expected a URL string or { url, storageOptions?, options? }, got ${describe(value)}`,
    );
  }
  checkKeys(value, COMPONENT_KEYS, `${key}.`, ctx);
  const spec: ComponentSpec = {};
  if (value.url !== undefined) spec.url = checkUrl(value.url, `${key}.url`, ctx);
  if (value.storageOptions !== undefined) {
    spec.storageOptions = checkSecretObject(value.storageOptions, `${key}.storageOptions`, ctx);
  }
  if (value.options !== undefined) {
    if (!isPlainObject(value.options)) {
      fail(`${key}.options`, ctx, `expected an object, got ${describe(value.options)}`);
    }
    if ("storageOptions" in value.options) {
      fail(`${key}.options.storageOptions`, ctx, `put storageOptions in ${key}.storageOptions`);
    }
    spec.options = value.options;
  }
  return spec;
}

function parseWorker(value: unknown, ctx: CheckContext): WorkerConfig {
  if (!isPlainObject(value)) fail("worker", ctx, `expected an object, got ${describe(value)}`);
  checkKeys(value, WORKER_KEYS, "worker.", ctx);
  const worker: WorkerConfig = {};
  if (value.queues !== undefined) worker.queues = checkQueues(value.queues, "worker.queues", ctx);
  if (value.concurrency !== undefined) {
    worker.concurrency = checkInt(value.concurrency, "worker.concurrency", ctx, 1);
  }
  if (value.leaseMs !== undefined)
    worker.leaseMs = checkInt(value.leaseMs, "worker.leaseMs", ctx, 1);
  if (value.gracefulStopMs !== undefined) {
    worker.gracefulStopMs = checkInt(value.gracefulStopMs, "worker.gracefulStopMs", ctx, 0);
  }
  if (value.prefetch !== undefined) {
    worker.prefetch = checkInt(value.prefetch, "worker.prefetch", ctx, 0);
  }
  if (value.pollIntervalMs !== undefined) {
    const poll = value.pollIntervalMs;
    const key = "worker.pollIntervalMs";
    if (!isPlainObject(poll)) fail(key, ctx, `expected { min, max } in ms, got ${describe(poll)}`);
    checkKeys(poll, POLL_KEYS, `${key}.`, ctx);
    const min = checkInt(poll.min, `${key}.min`, ctx, 1);
    const max = checkInt(poll.max, `${key}.max`, ctx, 1);
    if (min > max) fail(key, ctx, `expected min <= max, got min ${min} and max ${max}`);
    worker.pollIntervalMs = { min, max };
  }
  return worker;
}

/**
 * Validates a configuration object given in code or read from a file.
 * Keys in errors are setting paths (`worker.concurrency`); `ctx.where` says which file.
 */
export function parseConfigObject(raw: unknown, ctx: CheckContext): ConfigLayer {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) fail("config", ctx, `expected an object, got ${describe(raw)}`);
  checkKeys(raw, TOP_KEYS, "", ctx);
  const layer: ConfigLayer = { urlSources: {} };
  for (const kind of COMPONENT_KINDS) {
    const value = raw[kind];
    if (value === undefined) continue;
    if (value === null) {
      if (kind === "queue") fail(kind, ctx, "the queue cannot be turned off (null)");
      layer[kind] = null;
      continue;
    }
    const spec = parseComponent(value, kind, ctx);
    layer[kind] = spec;
    if (spec.url !== undefined) layer.urlSources![kind] = { key: `${kind}.url`, where: ctx.where };
  }
  if (raw.worker !== undefined) layer.worker = parseWorker(raw.worker, ctx);
  if (raw.logLevel !== undefined) layer.logLevel = checkLogLevel(raw.logLevel, "logLevel", ctx);
  return layer;
}
