import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import { BackendError, TimeoutError, ValidationError } from "../errors.js";
import { reviveError, type SerializedThrown } from "./error-transport.js";
import {
  type BlockingSpec,
  type BridgeManifest,
  type BridgeReply,
  type BridgeRequest,
  type BridgeWorkerData,
  FATAL_ID,
  READY_ID,
  SLOT_DEAD,
  SLOT_EXIT_CODE,
  SLOT_REPLY,
  STATE_SLOTS,
} from "./protocol.js";
import { findUncloneable } from "./uncloneable-path.js";

const WORKER_URL = new URL("./bridge-worker.js", import.meta.url);
/** Longest single Atomics.wait; between slices the caller re-checks the death flag. */
const WAIT_SLICE_MS = 1_000;

export interface ChannelTimeouts {
  call: number | undefined;
  startup: number | undefined;
}

type Request = BridgeRequest extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never;

/**
 * The caller's end of one bridge: a Worker, a MessagePort it replies on and one shared
 * Int32Array (reused for every call) the caller blocks on with Atomics.wait.
 */
export class SyncChannel {
  readonly manifest: BridgeManifest;
  readonly #label: string;
  readonly #timeouts: ChannelTimeouts;
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #signals: Int32Array;
  #nextId = READY_ID + 1;
  #fatal: SerializedThrown | undefined;
  #death: BackendError | undefined;

  /** Starts the worker and blocks until it built the component (or throws what it threw). */
  constructor(
    spec: BlockingSpec,
    label: string,
    timeouts: ChannelTimeouts,
    anchor: CallSiteAnchor,
  ) {
    this.#label = label;
    this.#timeouts = timeouts;
    const state = new SharedArrayBuffer(STATE_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.#signals = new Int32Array(state);
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const data: BridgeWorkerData = { spec, port: port2, state };
    try {
      this.#worker = new Worker(WORKER_URL, {
        workerData: data,
        transferList: [port2],
        stdout: false,
        stderr: false,
        execArgv: workerExecArgv(),
      });
    } catch (err) {
      port1.close();
      if (err instanceof Error && err.name === "DataCloneError") {
        throw argumentError(label, "constructor", spec.args, err);
      }
      throw new BackendError(`${label}: could not start the worker thread`, { cause: err });
    }
    this.#worker.unref();
    // Seen only when the caller's event loop gets to run; the worker signals its own death too.
    this.#worker.on("error", () => undefined);
    let reply: BridgeReply;
    try {
      reply = this.#wait(READY_ID, "constructor", 0, timeouts.startup, "startupTimeoutMs");
    } catch (err) {
      this.terminate();
      throw err;
    }
    if (!reply.ok) {
      this.terminate();
      throw reviveError(reply.error, callSiteOf(anchor));
    }
    this.manifest = reply.value as BridgeManifest;
  }

  /** Sends one request and blocks until its reply; throws the revived error on failure. */
  request(req: Request, caller: CallSiteAnchor): unknown {
    const what = req.op === "close" ? "close" : req.name;
    if (this.#death) {
      throw new BackendError(`${this.#label}.${what}: the worker thread died earlier`, {
        cause: this.#death,
      });
    }
    const id = this.#nextId++;
    const seen = Atomics.load(this.#signals, SLOT_REPLY);
    try {
      this.#port.postMessage({ ...req, id } as BridgeRequest);
    } catch (err) {
      throw argumentError(this.#label, what, req.op === "call" ? req.args : [], err);
    }
    const reply = this.#wait(id, what, seen, this.#timeouts.call, "timeoutMs");
    if (reply.ok) return reply.value;
    throw reviveError(reply.error, callSiteOf(caller));
  }

  /** The worker thread died (it crashed or exited); every request now throws {@link BackendError}. */
  get dead(): boolean {
    return this.#death !== undefined;
  }

  /** Stops the worker and closes the port; never throws. */
  terminate(): void {
    this.#port.close();
    this.#worker.terminate().catch(() => undefined);
  }

  /**
   * Blocks until the reply to `id` arrives. `seen` is the reply counter read before the request
   * was posted, so a reply posted in between wakes the wait at once instead of being missed.
   */
  #wait(
    id: number,
    what: string,
    seen: number,
    timeoutMs: number | undefined,
    option: string,
  ): BridgeReply {
    const signals = this.#signals;
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    for (;;) {
      let slice = WAIT_SLICE_MS;
      if (deadline !== undefined) {
        const left = deadline - performance.now();
        if (left <= 0) {
          throw new TimeoutError(
            `${this.#label}.${what}: no reply from the worker thread within ${timeoutMs} ms (options.${option})`,
          );
        }
        slice = Math.min(slice, Math.ceil(left));
      }
      if (Atomics.load(signals, SLOT_DEAD) === 0) Atomics.wait(signals, SLOT_REPLY, seen, slice);
      seen = Atomics.load(signals, SLOT_REPLY);
      for (let m = receiveMessageOnPort(this.#port); m; m = receiveMessageOnPort(this.#port)) {
        const reply = m.message as BridgeReply;
        if (reply.id === id) return reply;
        if (reply.id === FATAL_ID && !reply.ok) this.#fatal = reply.error;
        // anything else is the late reply of a call that timed out: dropped
      }
      if (Atomics.load(signals, SLOT_DEAD) !== 0) throw this.#died(what);
    }
  }

  #died(what: string): BackendError {
    const code = Atomics.load(this.#signals, SLOT_EXIT_CODE);
    const cause =
      this.#fatal && !(this.#fatal.kind === "value" && this.#fatal.value === undefined)
        ? reviveError(this.#fatal)
        : undefined;
    const reason = cause === undefined ? `exited with code ${code}` : "crashed (uncaught error)";
    this.#death = new BackendError(
      `${this.#label}.${what}: the worker thread ${reason} before replying`,
      cause === undefined ? undefined : { cause },
    );
    this.terminate();
    return this.#death;
  }
}

/**
 * The caller's `execArgv` minus `--input-type`, which Node refuses in a worker: under
 * `node --input-type=module -e ...` the thread would die before it could say so, and the caller,
 * blocked in `Atomics.wait`, would never see its 'error' event.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--input-type") i++;
    else if (!argv[i]!.startsWith("--input-type=")) out.push(argv[i]!);
  }
  return out;
}

/** The outermost bridge function of a call: stack frames above it are the caller's. */
export type CallSiteAnchor =
  | ((...args: never[]) => unknown)
  | (abstract new (
      ...args: never[]
    ) => unknown);

function callSiteOf(fn: CallSiteAnchor): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, fn);
  const frames = (holder.stack ?? "").split("\n").slice(1).join("\n");
  return `    at <sync bridge: blocking call>\n${frames}`;
}

function isPlainObject(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The error for arguments that cannot be structured-cloned, naming the first bad value the way
 * the async component's own validation would. A method argument that is a plain object (a
 * request or options object, such as `enqueue({ name, args })`) is named by the path inside it:
 * `args[1].fn`, the field the async API reports for the same input. Any other argument (an
 * array, a bare function) and constructor arguments (the `args` of the {@link BlockingSpec}) are
 * named by position, `args[0]`; the message always gives the full path.
 */
function argumentError(
  label: string,
  what: string,
  args: readonly unknown[],
  err: unknown,
): ValidationError {
  const constructing = what === "constructor";
  for (let i = 0; i < args.length; i++) {
    const found = findUncloneable(args[i]);
    if (!found) continue;
    const inside = found.path.startsWith(".") ? found.path.slice(1) : found.path;
    const named = !constructing && inside !== "" && isPlainObject(args[i]);
    const field = named ? inside : `args[${i}]`;
    const path = named ? inside : `args[${i}]${found.path}`;
    const verb = constructing ? "cannot be passed to the worker thread" : "cannot be stored";
    return new ValidationError(
      field,
      `${path}: ${found.what} ${verb} (${label}.${what}: arguments reach the worker thread by structured clone: no functions, symbols or promises)`,
      { cause: err },
    );
  }
  return new ValidationError(
    "args",
    `args: ${label}.${what}: the arguments must be structured-cloneable to reach the worker thread (no functions, symbols or promises)`,
    { cause: err },
  );
}
