/**
 * A compare-and-swap lock left by a writer killed mid-swap (`.<name>.next`) is broken once it
 * is older than `lockStaleMs`; writers waiting on it then race for the lock. Four OS processes
 * swap one key from the same version in each round, behind such a lock: at most one may win,
 * and the key must hold the winner's content (or the old one when nobody won). A lock that
 * is never broken fails every writer with ELOCKED, which fails the test too.
 *
 * Known defect, measured here rather than asserted: rounds where every writer loses although
 * the key still holds the version they swap from, and calls that fail with ENOENT. A
 * breaker's `stat` and `rename` of a lock are two calls, so it can move a fresh lock aside
 * (and gives it back only when nobody took the name meanwhile). Until 2026-11-23 a writer also
 * took the lock with content staged before its wait, so after ~`lockStaleMs` behind a dead
 * writer its lock looked stale to the others at once; it is now staged again when older than
 * `lockStaleMs / 4`. Throwaway runs of this file: before, ENOENT in 3 of 7 runs and 1–5
 * rounds of 12 with no winner; after, no ENOENT in 10 runs and 0–3 such rounds. A round with
 * no winner is a compare-and-swap reported as lost that could have won (a claim tried again
 * at the next listing, or a completion that fails as if its lease were lost): never two
 * winners. packages/file/README.md (Limitations) has it.
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

it("writers that waited on a dead writer's lock: at most one wins, with its content", async () => {
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
  /** Rounds no writer won (a known defect: see the file's doc comment). */
  const allLost: number[] = [];
  /** Rounds where a call failed with ENOENT (its lock moved away under it; the same defect). */
  const enoent: number[] = [];
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
      if (winners.length === 0) allLost.push(r);
      if (got.some((x) => x === "error:ENOENT")) enoent.push(r);
      if (
        winners.length > 1 ||
        (winners.length === 1 && content !== `${winners[0]}-${r}`) ||
        (winners.length === 0 && content !== `start-${r}`) ||
        got.some((x) => x?.startsWith("error") && x !== "error:ENOENT")
      )
        problems.push(`round ${r}: ${JSON.stringify(got)}, key holds ${content}`);
    }
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await Promise.all(exited);
    await target.close();
  }
  console.log(
    `stale lock: ${allLost.length} of ${ROUNDS} rounds with no winner, ${enoent.length} with an ENOENT failure`,
  );
  expect(problems).toEqual([]);
}, 120_000);
