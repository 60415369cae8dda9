import type { Blocking } from "../contracts/common.js";
import { ClosedError, ValidationError } from "../errors.js";
import type { BlockingSpec } from "./protocol.js";
import { type CallSiteAnchor, SyncChannel } from "./sync-channel.js";

export interface BlockingOptions {
  /**
   * Longest wait for one method call, getter or `close()`, in ms; past it the call throws
   * {@link TimeoutError} (the worker keeps running it and its late reply is dropped).
   * @defaultValue undefined (no limit)
   */
  timeoutMs?: number;
  /**
   * Longest wait for construction (starting the thread, importing the module, running the
   * constructor), in ms; past it the constructor throws {@link TimeoutError}.
   * @defaultValue undefined (no limit)
   */
  startupTimeoutMs?: number;
}

/** What every blocking twin has besides the component's own methods. */
export interface BlockingHandle {
  /** Runs the component's async `close()` in the worker, then stops the worker. Idempotent. */
  close(): void;
  [Symbol.dispose](): void;
  /** How the twin was built, so another thread can build the same component. */
  readonly blockingSpec: BlockingSpec;
}

function validateSpec(spec: BlockingSpec): BlockingSpec {
  if (typeof spec?.module !== "string" || spec.module === "") {
    throw new ValidationError(
      "spec.module",
      "sync bridge: spec.module must be a non-empty string (a file URL or package specifier)",
    );
  }
  if (typeof spec.exportName !== "string" || spec.exportName === "") {
    throw new ValidationError(
      "spec.exportName",
      "sync bridge: spec.exportName must be a non-empty string (the class's export name)",
    );
  }
  if (!Array.isArray(spec.args)) {
    throw new ValidationError(
      "spec.args",
      "sync bridge: spec.args must be an array of constructor arguments",
    );
  }
  return Object.freeze({ module: spec.module, exportName: spec.exportName, args: [...spec.args] });
}

function checkTimeout(value: number | undefined, key: string, label: string): number | undefined {
  if (value === undefined || (Number.isFinite(value) && value > 0)) return value;
  throw new ValidationError(
    key,
    `${label}: options.${key} must be a positive number of ms, got ${String(value)}`,
  );
}

/** Stops the worker of a twin that was dropped without close() (its component is not closed). */
const abandoned = new FinalizationRegistry<SyncChannel>((channel) => channel.terminate());

/** Builds a twin on `proto`: blocks until the worker built the component, then defines its members. */
export function buildBlocking(
  rawSpec: BlockingSpec,
  options: BlockingOptions,
  proto: object,
  label: string,
  anchor: CallSiteAnchor,
): Blocking<object> & BlockingHandle {
  const spec = validateSpec(rawSpec);
  const timeouts = {
    call: checkTimeout(options.timeoutMs, "timeoutMs", label),
    startup: checkTimeout(options.startupTimeoutMs, "startupTimeoutMs", label),
  };
  const channel = new SyncChannel(spec, label, timeouts, anchor);
  const { methods, getters, props, hasAsyncDispose } = channel.manifest;
  const twin = Object.create(proto) as Record<string | symbol, unknown>;
  let closed = false;
  const assertOpen = (what: string): void => {
    if (closed) throw new ClosedError(`${label}.${what}: used after close()`);
  };

  for (const [key, value] of Object.entries(props)) {
    Object.defineProperty(twin, key, { value, enumerable: true });
  }
  for (const name of getters) {
    const get = (): unknown => {
      assertOpen(name);
      return channel.request({ op: "get", name }, get);
    };
    Object.defineProperty(twin, name, { get, enumerable: true });
  }
  for (const name of methods) {
    const method = (...args: unknown[]): unknown => {
      assertOpen(name);
      return channel.request({ op: "call", name, args }, method);
    };
    Object.defineProperty(method, "name", { value: name });
    Object.defineProperty(twin, name, { value: method, enumerable: true });
  }

  const close = (): void => {
    if (closed) return;
    closed = true;
    abandoned.unregister(channel);
    try {
      if (!channel.dead) channel.request({ op: "close" }, close);
    } catch (err) {
      // a worker that died while closing has released everything it held
      if (!channel.dead) throw err;
    } finally {
      channel.terminate();
    }
  };
  Object.defineProperty(twin, "close", { value: close, enumerable: true });
  Object.defineProperty(twin, Symbol.dispose, { value: close });
  if (hasAsyncDispose) Object.defineProperty(twin, Symbol.asyncDispose, { value: close });
  Object.defineProperty(twin, "blockingSpec", { value: spec });
  abandoned.register(twin, channel, channel);
  return twin as Blocking<object> & BlockingHandle;
}

/**
 * Runs an async component in a dedicated `worker_threads` Worker and returns its blocking twin:
 * the same methods, each returning the awaited value (Node's analogue of Python's
 * `anyio.from_thread.run`). Each call posts `{id, method, args}` to the worker and blocks the
 * calling thread with `Atomics.wait` until the reply is posted; arguments and results cross by
 * structured clone (Date, Map, Set, Uint8Array and bigint survive; class instances arrive as plain
 * objects). Errors keep their OmniQ class, `code`, fields and `cause` chain, with a stack showing
 * both the worker's frames and the caller's. Construction blocks until the worker imported
 * `spec.module` and ran `new spec.exportName(...spec.args)` and rethrows what that threw. If the
 * worker dies mid-call the call throws {@link BackendError}. After `close()` every method throws
 * {@link ClosedError}. The worker is `unref()`ed: an unclosed twin does not keep the process alive,
 * and a twin garbage-collected without `close()` has its worker stopped (without the component's
 * `close()`: close twins that hold files or connections).
 *
 * Non-function own properties (e.g. `capabilities`) are a snapshot taken at construction;
 * prototype getters are read live from the worker. Do not call a twin from the event loop of
 * a thread that must stay responsive: each call blocks the whole thread.
 *
 * @example
 * ```ts
 * const q = createBlocking<AsyncSQLiteQueue>({
 *   module: import.meta.resolve("@omniq/sqlite"),
 *   exportName: "AsyncSQLiteQueue",
 *   args: [{ path: "omniq.db" }],
 * });
 * const task = q.enqueue({ name: "email", args: ["a@b.c"] }); // no await
 * q.close();
 * ```
 */
export function createBlocking<T extends object>(
  spec: BlockingSpec,
  options: BlockingOptions = {},
): Blocking<T> & BlockingHandle {
  const label = `blocking ${typeof spec?.exportName === "string" ? spec.exportName : "component"}`;
  return buildBlocking(spec, options, Object.prototype, label, createBlocking) as Blocking<T> &
    BlockingHandle;
}
