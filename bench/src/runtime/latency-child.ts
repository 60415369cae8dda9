/**
 * The worker process of the cross-process latency case: starts the implementation's worker,
 * says "ready", and for every handler start sends `{ type: "start", i, t }` with
 * `t = performance.timeOrigin + performance.now()` (comparable across processes). Stops on
 * the parent's "stop".
 *
 * argv: <impl key> <RuntimeCtx as JSON>
 */
import type { RuntimeCtx } from "./runtime-impl.js";
import { runtimeImpl } from "./runtime-impls.js";

async function main(): Promise<void> {
  const [key, ctxJson] = process.argv.slice(2);
  const ctx = JSON.parse(ctxJson!) as RuntimeCtx;
  const session = await runtimeImpl(key!).open(ctx, {
    producer: false,
    worker: true,
    onStart: (i) => {
      const t = performance.timeOrigin + performance.now();
      process.send!({ type: "start", i, t });
    },
  });
  process.once("message", async () => {
    await session.close();
    process.send!({ type: "stopped" }, () => process.disconnect());
  });
  process.send!({ type: "ready" });
}

main().catch((err: unknown) => {
  process.send?.({ type: "error", message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
});
