// A plain synchronous script: no async/await anywhere. The blocking `OmniQ` has the methods of
// `AsyncOmniQ`, each returning its value instead of a promise.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OmniQ } from "@omniq/core";

const dir = mkdtempSync(join(tmpdir(), "omniq-sync-"));
const failures: string[] = [];
const expect = (ok: boolean, what: string): void => {
  if (!ok) failures.push(what);
};

try {
  // One SQLite database for tasks, results and events. A component may also be a blocking
  // twin (`new SQLiteQueue({ path })`) or a `{ url, storageOptions }` object.
  const db = `sqlite:${join(dir, "omniq.db")}`;
  using omniq = new OmniQ<typeof import("./tasks.js")>({
    queue: db,
    results: db,
    events: db,
    tasks: new URL("./tasks.ts", import.meta.url), // handlers live in a module: see tasks.ts
    taskOptions: { flaky: { maxRetries: 2, retry: { backoff: "fixed", delayMs: 100 } } },
  });

  // The worker runs in the OmniQ's thread: start() returns at once.
  omniq.worker({ concurrency: 2 }).start();

  // Typed from the handlers: omniq.tasks.slugify.enqueue(42) would not compile.
  const total = omniq.tasks.invoiceTotal.enqueue([
    { qty: 2, price: 9.5 },
    { qty: 1, price: 4 },
  ]);
  const slug = omniq.tasks.slugify.enqueue("Hello, Blocking World!");
  const flaky = omniq.tasks.flaky.enqueue("inventory");
  const after = omniq.tasks.slugify.with({ dependsOn: [total], delayMs: 200 }).enqueue("Then This");

  // result() blocks until the task finished.
  const [t, s, f, a] = [total, slug, flaky, after].map((h) => {
    const r = h.result({ waitMs: 10_000 });
    const timeline = omniq.events(h.id).map((e) => e.type);
    console.log(
      `${h.task.name}${JSON.stringify(h.task.args)} -> ${r.status} ${JSON.stringify(r.value)}`,
    );
    console.log(`  events: ${timeline.join(" > ")}`);
    return r;
  });
  expect(t?.value === 23, `invoiceTotal returned ${t?.value}`);
  expect(s?.value === "hello-blocking-world-", `slugify returned ${s?.value}`);
  expect(f?.status === "success" && f.attempts === 2, "flaky did not succeed on attempt 2");
  expect(a?.value === "then-this" && a.startedAt! >= t!.finishedAt, "dependent ran too early");
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`sync-script FAILED:\n  - ${failures.join("\n  - ")}`);
  process.exit(1);
}
console.log("sync-script: done");
