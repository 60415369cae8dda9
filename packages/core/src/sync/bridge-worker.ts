/**
 * The worker side of the sync bridge (see create-blocking.ts): builds the component from its
 * spec, runs each request, posts the reply on the port and wakes the caller through the
 * shared Int32Array. When the thread is about to die it says so itself, since the caller's
 * event loop is blocked and would never see the Worker's 'exit' event.
 */
import { workerData } from "node:worker_threads";
import { BackendError, ValidationError } from "../errors.js";
import { serializeError } from "./error-transport.js";
import {
  type BridgeManifest,
  type BridgeReply,
  type BridgeRequest,
  type BridgeWorkerData,
  FATAL_ID,
  READY_ID,
  SLOT_DEAD,
  SLOT_EXIT_CODE,
  SLOT_REPLY,
} from "./protocol.js";

const { spec, port, state } = workerData as BridgeWorkerData;
const signals = new Int32Array(state);
let dead = false;

function wake(): void {
  Atomics.add(signals, SLOT_REPLY, 1);
  Atomics.notify(signals, SLOT_REPLY);
}

function post(reply: BridgeReply, what: string): void {
  try {
    port.postMessage(reply);
  } catch (err) {
    const error = new BackendError(
      `sync bridge: ${spec.exportName}.${what} returned a value that cannot be structured-cloned to the calling thread`,
      { cause: err },
    );
    port.postMessage({
      id: reply.id,
      ok: false,
      error: serializeError(error),
    } satisfies BridgeReply);
  }
  wake();
}

function die(exitCode: number, error?: unknown): void {
  if (dead) return;
  dead = true;
  try {
    port.postMessage({
      id: FATAL_ID,
      ok: false,
      error: serializeError(error),
    } satisfies BridgeReply);
  } catch {
    // the port may already be closed; the flag below is what the caller checks
  }
  Atomics.store(signals, SLOT_EXIT_CODE, exitCode);
  Atomics.store(signals, SLOT_DEAD, 1);
  wake();
}

process.on("uncaughtException", (err) => {
  die(1, err);
  process.exit(1);
});
process.on("exit", (code) => die(code));

type Component = Record<string | symbol, unknown>;

function isPlainData(value: unknown): boolean {
  if (value === null || typeof value !== "object") return typeof value !== "symbol";
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return true;
  if (value instanceof Date || value instanceof Map || value instanceof Set) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(instance: Component): BridgeManifest {
  const methods = new Set<string>();
  const getters = new Set<string>();
  const props: Record<string, unknown> = {};
  const seen = new Set<string>(["constructor", "close"]);
  for (const key of Object.keys(instance)) {
    seen.add(key);
    const value = instance[key];
    if (typeof value === "function") methods.add(key);
    else if (isPlainData(value)) {
      try {
        props[key] = structuredClone(value);
      } catch {
        // not cloneable: left out of the snapshot
      }
    }
  }
  for (
    let proto: object | null = Object.getPrototypeOf(instance);
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (seen.has(key)) continue;
      seen.add(key);
      const desc = Object.getOwnPropertyDescriptor(proto, key);
      if (desc?.get) getters.add(key);
      else if (typeof desc?.value === "function") methods.add(key);
    }
  }
  return {
    methods: [...methods],
    getters: [...getters],
    props,
    hasClose: typeof instance.close === "function",
    hasAsyncDispose: typeof instance[Symbol.asyncDispose] === "function",
  };
}

async function build(): Promise<Component> {
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const ctor = mod[spec.exportName];
  if (typeof ctor !== "function") {
    throw new ValidationError(
      "exportName",
      `sync bridge: ${spec.module} has no class export named "${spec.exportName}" (exports: ${Object.keys(mod).join(", ") || "none"})`,
    );
  }
  return new (ctor as new (...args: unknown[]) => Component)(...spec.args);
}

async function run(instance: Component, req: BridgeRequest): Promise<unknown> {
  if (req.op === "call") {
    const fn = instance[req.name];
    if (typeof fn !== "function") {
      throw new ValidationError(
        "method",
        `sync bridge: ${spec.exportName}.${req.name} is not a method`,
      );
    }
    return await (fn as (...args: unknown[]) => unknown).apply(instance, req.args);
  }
  if (req.op === "get") return instance[req.name];
  if (typeof instance.close === "function") await (instance.close as () => unknown)();
  else if (typeof instance[Symbol.asyncDispose] === "function") {
    await (instance[Symbol.asyncDispose] as () => unknown)();
  }
  return undefined;
}

async function main(): Promise<void> {
  let instance: Component;
  try {
    instance = await build();
    port.postMessage({ id: READY_ID, ok: true, value: describe(instance) } satisfies BridgeReply);
    wake();
  } catch (err) {
    post({ id: READY_ID, ok: false, error: serializeError(err) }, "constructor");
    return;
  }
  port.on("message", (req: BridgeRequest) => {
    const what = req.op === "close" ? "close" : req.name;
    run(instance, req).then(
      (value) => post({ id: req.id, ok: true, value }, what),
      (err: unknown) => post({ id: req.id, ok: false, error: serializeError(err) }, what),
    );
  });
}

void main();
