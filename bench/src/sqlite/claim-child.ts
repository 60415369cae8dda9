/**
 * A forked claim loop for the multi-process case: opens the implementation on the shared
 * database file, says "ready", waits for "go", then claims and completes one task at a
 * time until none is left, and reports how many it did.
 *
 * argv: <impl key> <db path>
 */
import { storageImpl } from "./impls.js";
import { settle } from "./storage-impl.js";

export interface ChildDone {
  type: "done";
  count: number;
  /** Claims that threw (e.g. SQLITE_BUSY) and were tried again. */
  errors: number;
  firstError?: string;
}

async function main(): Promise<void> {
  const [key, path] = process.argv.slice(2);
  const handle = await storageImpl(key!).open(path!);
  await new Promise<void>((resolve) => {
    process.once("message", () => resolve());
    process.send!({ type: "ready" });
  });
  let count = 0;
  let errors = 0;
  let firstError: string | undefined;
  for (;;) {
    try {
      if (!(await settle(handle.claimCompleteOne()))) break;
      count++;
    } catch (err) {
      errors++;
      firstError ??= err instanceof Error ? err.message : String(err);
      if (errors > 10_000) break;
    }
  }
  await handle.close();
  const done: ChildDone = { type: "done", count, errors };
  if (firstError) done.firstError = firstError;
  process.send!(done, () => process.disconnect());
}

main().catch((err: unknown) => {
  process.send?.({ type: "error", message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
});
