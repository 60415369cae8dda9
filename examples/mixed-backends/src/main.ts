// Each component on its own backend: tasks in SQLite, results as JSON files on local disk,
// the event log as JSON objects on S3.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { AsyncOmniQ, type TaskContext } from "@omniq/core";
import { AsyncFileEventStorage, AsyncFileResultStorage, layout } from "@omniq/file";
import { AsyncSQLiteQueue } from "@omniq/sqlite";
import { eventsLocation } from "./events-location.js";

const dir = mkdtempSync(join(tmpdir(), "omniq-mixed-"));
const events = await eventsLocation();
const failures: string[] = [];
const expect = (ok: boolean, what: string): void => {
  if (!ok) failures.push(what);
};

try {
  await using omniq = new AsyncOmniQ({
    queue: new AsyncSQLiteQueue({ path: join(dir, "tasks.db") }),
    results: new AsyncFileResultStorage({ baseDir: join(dir, "results") }),
    events: new AsyncFileEventStorage({ url: events.url, storageOptions: events.storageOptions }),
  });

  const resize = omniq.task(
    "image.resize",
    async (file: string, width: number, ctx: TaskContext) => {
      await ctx.progress({ step: "decode" });
      await sleep(20, undefined, { signal: ctx.signal });
      return { file: file.replace(/\.png$/, `-${width}.webp`), width };
    },
  );

  const handles = await resize.enqueueMany([
    ["cat.png", 320],
    ["dog.png", 640],
    ["fox.png", 1280],
  ]);
  await omniq.worker({ concurrency: 3 }).runUntilIdle({ timeoutMs: 15_000 });

  console.log(`tasks:   SQLite ${join(dir, "tasks.db")}`);
  console.log(`results: JSON files in ${join(dir, "results")}`);
  console.log(`events:  ${events.url}\n`);
  for (const h of handles) {
    const r = await h.result({ waitMs: 5_000 });
    const timeline = (await omniq.events(h.id)).map((e) => e.type);
    console.log(`${h.task.args.join(" @ ")} -> ${JSON.stringify(r.value)}`);
    console.log(`  events: ${timeline.join(" > ")}`);
    expect(r.status === "success" && r.value?.width === h.task.args[1], `${h.id}: ${r.status}`);
    expect(timeline.at(-1) === "succeeded", `${h.id}: last event ${timeline.at(-1)}`);
  }

  // The results really are files on disk: one JSON file per task.
  const files = handles.map((h) => join(dir, "results", layout.result(h.id)));
  console.log(`\nresult files:\n  ${files.join("\n  ")}`);
  expect(
    files.every((f) => existsSync(f)),
    "a result file is missing",
  );

  // And the events really are on S3: a separate reader (another service, say) sees them.
  await using reader = new AsyncFileEventStorage({
    url: events.url,
    storageOptions: events.storageOptions,
  });
  const onS3 = await reader.query({ taskId: handles[0]!.id });
  console.log(`events of ${handles[0]!.id} read back from S3: ${onS3.items.length}`);
  expect(
    onS3.items.some((e) => e.type === "succeeded"),
    "no succeeded event on S3",
  );
} finally {
  await events.stop();
  rmSync(dir, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`mixed-backends FAILED:\n  - ${failures.join("\n  - ")}`);
  process.exit(1);
}
console.log("mixed-backends: done");
