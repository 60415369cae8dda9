/**
 * Cases every cloud target (S3, Azure, GCS) runs against its real test server on top of the
 * shared `targetConformance`: atomicity under 20-way concurrency, one request per operation,
 * retries across a server restart and on timeouts, credential hygiene, the missing-SDK path and
 * base-directory isolation.
 */
import { execFile } from "node:child_process";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { BackendError, MissingPackageError, ValidationError } from "@omniq/core";
import { expect, it } from "vitest";
import type { StorageTarget, StoredObject } from "../src/targets/storage-target.js";
import { longWaitingRunCase } from "./waiting-run.js";

export interface CloudHarness {
  /** A target on the test bucket under `prefix` (a fresh unique one when omitted). */
  target(options?: { prefix?: string; retries?: number }): StorageTarget;
  /** HTTP requests made while `fn` ran. */
  countRequests(fn: () => Promise<unknown>): Promise<number>;
  /** Stops the server and starts it again on the same port with the same data. */
  restart(downtimeMs: number): Promise<void>;
  /** A target on another endpoint (`http://127.0.0.1:<port>`), e.g. where nothing listens. */
  targetAt(
    endpoint: string,
    options: { retries: number; retryBaseDelayMs: number; timeoutMs?: number },
  ): StorageTarget;
  /** Retries that outlast `restart(500)` on this server. */
  restartRetries: number;
  /** Targets whose requests fail, built with secret-bearing options; and those secrets. */
  failingTargets(): { target: StorageTarget; secrets: string[] }[];
  /** A target whose SDK import fails as if the package were not installed. */
  missingSdkTarget(): StorageTarget;
  sdkPackage: string;
  /** The target as `{ url, storageOptions }` for the URL-based components. */
  urlOptions(prefix: string): { url: string; storageOptions: Record<string, unknown> };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
let unique = 0;
/** A prefix no other test uses. */
export const freshPrefix = (label: string) =>
  `t-${label}-${process.pid}-${Date.now().toString(36)}-${unique++}`;

const CHILD = fileURLToPath(new URL("./cloud-blocking-child.mjs", import.meta.url));

/** Runs the blocking FileQueue in a child process (see cloud-blocking-child.mjs). */
function runBlockingChild(options: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CHILD, JSON.stringify(options)],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`blocking child failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as Record<string, unknown>);
      },
    );
  });
}

export function cloudTargetCases(kind: string, getHarness: () => CloudHarness): void {
  const h = () => getHarness();

  it(`${kind}: 20 concurrent writeIfAbsent on one key: exactly one wins`, async () => {
    const t = h().target();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.writeIfAbsent("race/absent.json", bytes(`w${i}`))),
    );
    const winners = results.flatMap((v, i) => (v === null ? [] : [{ v, i }]));
    expect(winners).toHaveLength(1);
    const stored = await t.read("race/absent.json");
    expect(stored?.version).toBe(winners[0]?.v);
    expect(text(stored?.data ?? new Uint8Array())).toBe(`w${winners[0]?.i}`);
    await t.close();
  });

  it(`${kind}: 20 concurrent writeIfVersion with the same version: exactly one wins`, async () => {
    const t = h().target();
    const v0 = await t.write("race/cas.json", bytes("start"));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.writeIfVersion("race/cas.json", bytes(`c${i}`), v0)),
    );
    const winners = results.flatMap((v, i) => (v === null ? [] : [{ v, i }]));
    expect(winners).toHaveLength(1);
    const stored = await t.read("race/cas.json");
    expect(stored?.version).toBe(winners[0]?.v);
    expect(text(stored?.data ?? new Uint8Array())).toBe(`c${winners[0]?.i}`);
    // And 20 conditional deletes on the winner's version: one deletes.
    const deletes = await Promise.all(
      Array.from({ length: 20 }, () => t.delete("race/cas.json", winners[0]?.v)),
    );
    expect(deletes.filter(Boolean)).toHaveLength(1);
    expect(await t.read("race/cas.json")).toBeNull();
    await t.close();
  });

  it(`${kind}: every operation is one HTTP request`, async () => {
    const t = h().target();
    const count = h().countRequests.bind(h());
    let v = "";
    // The first call only loads the SDK and builds the client: no extra request.
    expect(await count(async () => (v = await t.write("n/a.json", bytes("1"))))).toBe(1);
    expect(await count(() => t.read("n/a.json"))).toBe(1);
    expect(await count(() => t.read("n/missing.json"))).toBe(1);
    expect(await count(() => t.writeIfAbsent("n/b.json", bytes("2")))).toBe(1);
    expect(await count(() => t.writeIfAbsent("n/b.json", bytes("3")))).toBe(1);
    let v2: string | null = null;
    expect(await count(async () => (v2 = await t.writeIfVersion("n/a.json", bytes("4"), v)))).toBe(
      1,
    );
    expect(v2).not.toBeNull();
    expect(await count(() => t.writeIfVersion("n/a.json", bytes("5"), v))).toBe(1);
    expect(await count(() => t.writeIfVersion("n/none.json", bytes("6"), v))).toBe(1);
    expect(await count(() => t.list({ prefix: "n/", limit: 2 }))).toBe(1);
    expect(await count(() => t.delete("n/a.json", v))).toBe(1); // stale: no delete
    expect(await count(() => t.delete("n/a.json", v2 as unknown as string))).toBe(1);
    expect(await count(() => t.delete("n/b.json"))).toBe(1);
    expect(await count(() => t.delete("n/b.json"))).toBe(1); // missing
    expect(await count(() => t.close())).toBe(0);
  });

  it(`${kind}: an operation during a server restart succeeds after retries`, async () => {
    const t = h().target({ retries: h().restartRetries });
    await t.write("restart/before.json", bytes("before"));
    const restarting = h().restart(500);
    const written = t.write("restart/during.json", bytes("during"));
    const read = t.read("restart/before.json");
    await restarting;
    expect(typeof (await written)).toBe("string");
    expect(text((await read)?.data ?? new Uint8Array())).toBe("before");
    expect(text((await t.read("restart/during.json"))?.data ?? new Uint8Array())).toBe("during");
    await t.close();
  });

  it(`${kind}: an unreachable server is a BackendError after retries + 1 attempts`, async () => {
    for (const [retries, attempts] of [
      [0, "1 attempt"],
      [2, "3 attempts"],
    ] as const) {
      const t = h().targetAt("http://127.0.0.1:9", { retries, retryBaseDelayMs: 1 });
      const error = await t.read("down/a.json").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toContain(`read "down/a.json" failed after ${attempts}`);
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
      await t.close();
    }
  });

  it(`${kind}: an attempt that gets no answer times out and is retried`, async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket); // accept, never answer
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const t = h().targetAt(`http://127.0.0.1:${port}`, {
        retries: 1,
        retryBaseDelayMs: 1,
        timeoutMs: 150,
      });
      const error = await t.write("slow/a.json", bytes("x")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toMatch(/write "slow\/a\.json" failed after 2 attempts/);
      expect((error as Error).message).toMatch(/TimeoutError/);
      expect(sockets.size).toBeGreaterThanOrEqual(1);
      await t.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it(`${kind}: error messages and causes never contain credentials`, async () => {
    for (const { target, secrets } of h().failingTargets()) {
      const error = await target.read("a.json").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      const shown = [
        String(error),
        (error as Error).stack ?? "",
        inspect(error, { depth: 20 }),
        JSON.stringify(error),
        inspect((error as Error).cause, { depth: 20, showHidden: true }),
      ].join("\n");
      for (const secret of secrets) expect(shown).not.toContain(secret);
      expect(shown).not.toMatch(/authorization|signature=|sig=[^*]|sharedkey /i);
      await target.close();
    }
  });

  it(`${kind}: a missing SDK is a MissingPackageError naming the package`, async () => {
    const t = h().missingSdkTarget();
    const error = await t.read("a.json").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingPackageError);
    expect((error as MissingPackageError).packageName).toBe(h().sdkPackage);
    expect((error as Error).message).toContain(`npm install ${h().sdkPackage}`);
  });

  it(`${kind}: keys are relative to the prefix; prefixes do not see each other`, async () => {
    const base = freshPrefix("iso");
    const outer = h().target({ prefix: base });
    const a = h().target({ prefix: `${base}/a` });
    const b = h().target({ prefix: `/${base}/b/` });
    await a.write("k.json", bytes("a"));
    await b.write("k.json", bytes("b"));
    expect(text((await a.read("k.json"))?.data ?? new Uint8Array())).toBe("a");
    expect(text((await b.read("k.json"))?.data ?? new Uint8Array())).toBe("b");
    expect((await a.list({ prefix: "" })).entries.map((e) => e.key)).toEqual(["k.json"]);
    expect((await outer.list({ prefix: "" })).entries.map((e) => e.key)).toEqual([
      "a/k.json",
      "b/k.json",
    ]);
    expect(a.id).not.toBe(b.id);
    expect(a.id).toContain(`${base}/a`);
    expect(b.id).toBe(h().target({ prefix: `${base}/b` }).id);
    for (const t of [outer, a, b]) await t.close();
  });

  it(`${kind}: invalid keys are refused without any request`, async () => {
    const t = h().target();
    for (const key of ["", "/abs", "../up", "a/../b", "a\\b", "a\nb", "a//b", "a/"]) {
      const n = await h().countRequests(async () => {
        await expect(t.read(key)).rejects.toBeInstanceOf(ValidationError);
        await expect(t.write(key, bytes("x"))).rejects.toBeInstanceOf(ValidationError);
      });
      expect(n).toBe(0);
    }
    await expect(t.list({ prefix: "../" })).rejects.toBeInstanceOf(ValidationError);
    await t.close();
  });

  it(`${kind}: binary data round-trips byte for byte`, async () => {
    const t = h().target();
    const data = new Uint8Array(70_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) % 256;
    let v = "";
    expect(await h().countRequests(async () => (v = await t.write("bin/blob", data)))).toBe(1);
    const got: { value?: StoredObject | null } = {};
    expect(await h().countRequests(async () => (got.value = await t.read("bin/blob")))).toBe(1);
    expect(got.value?.version).toBe(v);
    expect(Buffer.from(got.value?.data ?? new Uint8Array()).equals(Buffer.from(data))).toBe(true);
    await t.close();
  });

  it(`${kind}: the blocking FileQueue works on it from plain options (worker-thread rebuild)`, async () => {
    const prefix = freshPrefix("blocking");
    const result = await runBlockingChild(h().urlOptions(prefix));
    expect(result.stored).toBe("pending");
    expect(result.claimed).toBe(result.enqueued);
    expect(result.status).toBe("running");
    // The child's objects are there for this process's target too.
    const keys = (await h().target({ prefix }).list({ prefix: "" })).entries.map((e) => e.key);
    expect(keys.length).toBeGreaterThan(0);
  });

  it(`${kind}: a run of waiting tasks longer than one listing does not hide the task behind it`, async () => {
    const prefix = freshPrefix(`${kind}-waiting-run`);
    await longWaitingRunCase(() => h().target({ prefix }));
  });
}
