import { runClaimRace } from "@omniq/core/testing";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const factoryModule = new URL("./fixtures/file-factory.mjs", import.meta.url).href;

describe("cross-process claim race on local disk", () => {
  it("4 OS processes race for the same 2,000 tasks: every task exactly once", async () => {
    const baseDir = tempDir("race");
    const r = await runClaimRace({
      processes: 4,
      tasks: 2000,
      batch: 1,
      factoryModule,
      factoryArg: { baseDir },
      timeoutMs: 240_000,
    });
    console.log(
      `race: ${r.claimed} claims by 4 processes in ${Math.round(r.elapsedMs)} ms, per process ${r.perProcess.join("/")}`,
    );
    expect(r.duplicates).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.claimed).toBe(2000);
    expect(r.perProcess.reduce((a, b) => a + b, 0)).toBe(2000);
    // Every process got a share: the claims really raced.
    expect(Math.min(...r.perProcess)).toBeGreaterThan(0);
  }, 300_000);

  it("batched claims (dequeueMany of 10) stay exactly-once", async () => {
    const baseDir = tempDir("race-batch");
    const r = await runClaimRace({
      processes: 4,
      tasks: 1000,
      batch: 10,
      factoryModule,
      factoryArg: { baseDir },
    });
    expect(r.duplicates).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.claimed).toBe(1000);
  }, 300_000);
});
