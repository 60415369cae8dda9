/**
 * A compare-and-swap lock left by a writer killed mid-swap (`.<name>.next`) is broken once it
 * is older than `lockStaleMs`; writers waiting on it then race for the lock. Four OS processes
 * swap one key from the same version in each round, behind such a lock: exactly one must win,
 * the key must hold the winner's content, and no call may fail (a lock never broken makes
 * every writer fail with ELOCKED after 3 × `lockStaleMs`).
 *
 * A lock's age is its file's mtime, and that file is the content a writer staged before it
 * began to wait, so a waiter that takes the lock after waiting ~`lockStaleMs` holds a lock
 * that already looks stale to the others. Breaking it then needs another process to act
 * between the holder's check of its lock and its `rename`, a few system calls apart: this
 * test has not seen it (it passes on the code as it is), and whether a process stalled there
 * explains the chaos test's open failure is a hypothesis (packages/file/README.md).
 */
import { type ChildProcess, fork } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { LocalTarget } from "../src/index.js";
import { tempDir } from "./helpers.js";

const PROCESSES = 4;
const ROUNDS = 12;
const LOCK_STALE_MS = 300;
const entry = new URL("./fixtures/lock-race-worker.mjs", import.meta.url);

it("writers that waited on a dead writer's lock: one wins each round, with its content", async () => {
  const baseDir = tempDir("stale-lock");
  const dir = tempDir("stale-lock-ctl");
  const key = "q/k.json";
  const target = new LocalTarget({ baseDir, lockStaleMs: LOCK_STALE_MS });
  const names = Array.from({ length: PROCESSES }, (_, i) => `w${i}`);
  const children: ChildProcess[] = names.map((name) =>
    fork(
      entry,
      [JSON.stringify({ baseDir, key, rounds: ROUNDS, lockStaleMs: LOCK_STALE_MS, name, dir })],
      {
        stdio: ["ignore", "ignore", "inherit", "ipc"],
        env: { ...process.env, NODE_OPTIONS: "" },
      },
    ),
  );
  const exited = children.map((c) => new Promise((r) => c.once("exit", r)));
  const problems: string[] = [];
  try {
    const lock = join(baseDir, "q", ".k.json.next");
    for (let r = 0; r < ROUNDS; r++) {
      const version = await target.write(key, new TextEncoder().encode(`start-${r}`));
      // A writer killed holding the lock: a file at the lock's name, fresh now.
      writeFileSync(lock, "dead writer");
      writeFileSync(join(dir, `go-${r}`), version);
      // Every process reports the round.
      const start = Date.now();
      const results = () =>
        names.map((n) => {
          const f = join(dir, `${n}.out`);
          const line = existsSync(f)
            ? readFileSync(f, "utf8")
                .split("\n")
                .find((l) => l.startsWith(`${r} `))
            : undefined;
          return line?.slice(`${r} `.length);
        });
      while (results().some((x) => x === undefined)) {
        if (Date.now() - start > 20_000) throw new Error(`round ${r} did not finish`);
        await sleep(10);
      }
      const got = results();
      const winners = names.filter((_, i) => got[i] === "won");
      const content = new TextDecoder().decode((await target.read(key))?.data);
      if (
        winners.length !== 1 ||
        content !== `${winners[0]}-${r}` ||
        got.some((x) => x?.startsWith("error"))
      )
        problems.push(`round ${r}: ${JSON.stringify(got)}, key holds ${content}`);
    }
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await Promise.all(exited);
    await target.close();
  }
  expect(problems).toEqual([]);
}, 120_000);
