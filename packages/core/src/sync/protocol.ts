import type { SerializedThrown } from "./error-transport.js";

/**
 * What a blocking twin's worker builds: `new (await import(module))[exportName](...args)`.
 * `module` is a file URL (or a specifier the worker can import from `@omniq/core`'s location;
 * prefer `new URL("./x.js", import.meta.url).href` or `import.meta.resolve("pkg")`), `args` must be
 * structured-cloneable (no functions, no class instances that need their prototype).
 */
export interface BlockingSpec {
  module: string;
  exportName: string;
  args: unknown[];
}

/** Slots of the shared Int32Array the caller waits on. */
export const SLOT_REPLY = 0;
export const SLOT_DEAD = 1;
export const SLOT_EXIT_CODE = 2;
export const STATE_SLOTS = 3;

/** Request id of the startup handshake; id of the message a dying worker posts. */
export const READY_ID = 0;
export const FATAL_ID = -1;

export interface BridgeWorkerData {
  spec: BlockingSpec;
  port: import("node:worker_threads").MessagePort;
  state: SharedArrayBuffer;
}

export type BridgeRequest =
  | { id: number; op: "call"; name: string; args: unknown[] }
  | { id: number; op: "get"; name: string }
  | { id: number; op: "close" };

export type BridgeReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: SerializedThrown };

/** What the worker reports once the component is built. */
export interface BridgeManifest {
  /** Function-valued properties (own and along the prototype chain), `constructor` and `close` excluded. */
  methods: string[];
  /** Accessors on the prototype chain, read live from the worker. */
  getters: string[];
  /** Snapshot of the own enumerable non-function properties that are plain structured-cloneable data. */
  props: Record<string, unknown>;
  hasClose: boolean;
  hasAsyncDispose: boolean;
}
