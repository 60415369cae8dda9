import { omniqRuntime } from "./omniq-runtime.js";
import type { RuntimeImpl } from "./runtime-impl.js";
import { litequeRuntime, plainjobRuntime } from "./sqlite-peers-runtime.js";
import { bullmqRuntime, graphileRuntime, pgbossRuntime } from "./server-peers-runtime.js";

/** OmniQ first, then the peers. */
export const RUNTIME_IMPLS: readonly RuntimeImpl[] = [
  omniqRuntime,
  plainjobRuntime,
  litequeRuntime,
  bullmqRuntime,
  graphileRuntime,
  pgbossRuntime,
];

export function runtimeImpl(key: string): RuntimeImpl {
  const impl = RUNTIME_IMPLS.find((i) => i.key === key);
  if (!impl) throw new Error(`bench: no runtime implementation ${JSON.stringify(key)}`);
  return impl;
}
