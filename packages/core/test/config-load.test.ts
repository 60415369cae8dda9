import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, type LoadConfigOptions, loadConfig, redactConfig } from "../src/index.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "omniq-config-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

/** Loads with an isolated environment and cwd unless told otherwise. */
const load = (options: LoadConfigOptions = {}) => loadConfig({ env: {}, cwd: dir, ...options });

async function configError(options: LoadConfigOptions): Promise<ConfigError> {
  const error = await load(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("loadConfig: defaults and precedence", () => {
  it("uses sqlite:./omniq.db for queue and results when nothing is configured", async () => {
    const config = await load();
    expect(config).toEqual({
      queue: { url: "sqlite:./omniq.db" },
      results: { url: "sqlite:./omniq.db" },
      worker: {},
    });
  });

  it("does not add default results once the queue is configured", async () => {
    const config = await load({ config: { queue: "inmemory:" } });
    expect(config.queue.url).toBe("inmemory:");
    expect(config.results).toBeUndefined();
    expect(config.events).toBeUndefined();
  });

  it("ranks code over environment over file over defaults", async () => {
    const file = write(
      "omniq.yaml",
      [
        "queue: s3://file-bucket/q",
        "events: file:./events",
        "worker:",
        "  concurrency: 2",
        "  leaseMs: 1000",
        "  gracefulStopMs: 500",
        "logLevel: info",
      ].join("\n"),
    );
    const config = await load({
      file,
      env: {
        OMNIQ_QUEUE_URL: "s3://env-bucket/q",
        OMNIQ_WORKER_CONCURRENCY: "3",
        OMNIQ_LEASE_MS: "2000",
      },
      config: { worker: { leaseMs: 4000 }, results: "memory://r" },
    });
    expect(config.queue.url).toBe("s3://env-bucket/q");
    expect(config.events?.url).toBe("file:./events");
    expect(config.results?.url).toBe("memory://r");
    expect(config.worker).toEqual({ concurrency: 3, leaseMs: 4000, gracefulStopMs: 500 });
    expect(config.logLevel).toBe("info");

    const fromCode = await load({
      file,
      env: { OMNIQ_QUEUE_URL: "s3://env-bucket/q" },
      config: { queue: "sqlite::memory:" },
    });
    expect(fromCode.queue.url).toBe("sqlite::memory:");
  });

  it("merges components field by field, dropping options meant for another scheme", async () => {
    const file = write(
      "omniq.json",
      JSON.stringify({
        queue: { url: "s3://a/q", storageOptions: { region: "eu-west-1" }, options: { x: 1 } },
        results: { url: "s3://a/r", storageOptions: { region: "eu-west-1" } },
      }),
    );
    const config = await load({
      file,
      env: { OMNIQ_QUEUE_URL: "s3://b/q", OMNIQ_RESULTS_URL: "sqlite:./r.db" },
    });
    expect(config.queue).toEqual({
      url: "s3://b/q",
      storageOptions: { region: "eu-west-1" },
      options: { x: 1 },
    });
    expect(config.results).toEqual({ url: "sqlite:./r.db" });
  });

  it("turns a component off with null in code or none in the environment", async () => {
    const file = write(
      "omniq.yml",
      // A URL ending in ":" must be quoted in YAML, or it reads as a mapping key.
      'queue: "inmemory:"\nresults: "inmemory:"\nevents: "inmemory:"\n',
    );
    const config = await load({
      file,
      env: { OMNIQ_RESULTS_URL: "none" },
      config: { events: null },
    });
    expect(config.results).toBeUndefined();
    expect(config.events).toBeUndefined();
  });
});

describe("loadConfig: files", () => {
  it("reads JSON and YAML files with the same result", async () => {
    const json = write(
      "a.json",
      JSON.stringify({
        queue: { url: "file:./data", storageOptions: { mode: "x" } },
        worker: { queues: ["emails", "default"], pollIntervalMs: { min: 50, max: 1000 } },
      }),
    );
    const yaml = write(
      "a.yaml",
      [
        "queue:",
        "  url: file:./data",
        "  storageOptions: { mode: x }",
        "worker:",
        "  queues: [emails, default]",
        "  pollIntervalMs: { min: 50, max: 1000 }",
      ].join("\n"),
    );
    const fromJson = await load({ file: json });
    const fromYaml = await load({ file: yaml });
    expect(fromYaml).toEqual(fromJson);
    expect(fromJson.worker.queues).toEqual(["emails", "default"]);
  });

  it("finds omniq.config.yaml in cwd, or the file named by OMNIQ_CONFIG", async () => {
    write("omniq.config.yaml", "queue: memory://found\n");
    write("other.json", '{ "queue": "memory://other" }');
    expect((await load()).queue.url).toBe("memory://found");
    expect((await load({ env: { OMNIQ_CONFIG: "other.json" } })).queue.url).toBe("memory://other");
    expect((await load({ file: false })).queue.url).toBe("sqlite:./omniq.db");
  });

  it("rejects two candidate files, a missing file and an unknown extension", async () => {
    write("omniq.config.json", "{}");
    write("omniq.config.yml", "{}");
    expect((await configError({})).key).toBe("file");
    const missing = await configError({ env: { OMNIQ_CONFIG: "nope.yaml" } });
    expect(missing.key).toBe("OMNIQ_CONFIG");
    expect(missing.message).toContain("nope.yaml");
    expect((await configError({ file: write("c.toml", "") })).message).toMatch(
      /\.json, \.yaml or \.yml/,
    );
  });

  it("reports syntax errors by line without quoting the file", async () => {
    const yaml = write("bad.yaml", "queue: s3://b/q\nstorageOptions: hunter2secret\n  nested: [\n");
    const e1 = await configError({ file: yaml });
    expect(e1.key).toBe("file");
    expect(e1.message).toMatch(/bad\.yaml" is not valid YAML at line \d+, column \d+/);
    expect(e1.message).not.toContain("hunter2secret");

    const json = write(
      "bad.json",
      '{ "queue": { "storageOptions": { "key": "hunter2secret" } x } }',
    );
    const e2 = await configError({ file: json });
    expect(e2.message).toMatch(/bad\.json" is not valid JSON at line 1, column \d+/);
    expect(e2.message).not.toContain("hunter2secret");
  });

  it("names the file and the setting in validation errors", async () => {
    const file = write("omniq.yaml", "worker:\n  concurrency: many\n");
    const error = await configError({ file });
    expect(error.key).toBe("worker.concurrency");
    expect(error.message).toBe(
      'config: worker.concurrency in omniq.yaml: expected an integer >= 1, got "many" (a string)',
    );
    const prefetch = await configError({ file: write("p.yaml", "worker:\n  prefetch: -1\n") });
    expect(prefetch.key).toBe("worker.prefetch");
    expect(prefetch.message).toContain("expected a non-negative integer, got -1");
  });
});

describe("loadConfig: environment", () => {
  it("reads every OMNIQ_* setting", async () => {
    const config = await load({
      env: {
        OMNIQ_QUEUE_URL: "sqlite:./q.db",
        OMNIQ_QUEUE_STORAGE_OPTIONS: '{"timeoutMs": 5}',
        OMNIQ_RESULTS_URL: "memory://r",
        OMNIQ_EVENTS_URL: "gs://bucket/events",
        OMNIQ_EVENTS_STORAGE_OPTIONS: '{"projectId": "p"}',
        OMNIQ_WORKER_QUEUES: "emails, default",
        OMNIQ_WORKER_CONCURRENCY: "8",
        OMNIQ_LEASE_MS: "60000",
        OMNIQ_GRACEFUL_STOP_MS: "0",
        OMNIQ_WORKER_PREFETCH: "0",
        OMNIQ_POLL_INTERVAL_MS: "100,2000",
        OMNIQ_LOG_LEVEL: "DEBUG",
        OMNIQ_TEST_POSTGRES_URL: "postgres://unrelated",
      },
    });
    expect(config).toEqual({
      queue: { url: "sqlite:./q.db", storageOptions: { timeoutMs: 5 } },
      results: { url: "memory://r" },
      events: { url: "gs://bucket/events", storageOptions: { projectId: "p" } },
      worker: {
        queues: ["emails", "default"],
        concurrency: 8,
        leaseMs: 60000,
        gracefulStopMs: 0,
        prefetch: 0,
        pollIntervalMs: { min: 100, max: 2000 },
      },
      logLevel: "debug",
    });
  });

  it("OMNIQ_URL sets all three components; specific variables win; blank means unset", async () => {
    const config = await load({
      env: {
        OMNIQ_URL: "sqlite:./all.db",
        OMNIQ_STORAGE_OPTIONS: '{"a": 1}',
        OMNIQ_EVENTS_URL: "file:./events",
        OMNIQ_RESULTS_URL: "  ",
      },
    });
    expect(config.queue).toEqual({ url: "sqlite:./all.db", storageOptions: { a: 1 } });
    expect(config.results).toEqual({ url: "sqlite:./all.db", storageOptions: { a: 1 } });
    expect(config.events).toEqual({ url: "file:./events", storageOptions: { a: 1 } });
  });

  it.each([
    ["OMNIQ_WORKER_CONCURRENCY", "abc", /expected a positive integer, got "abc"/],
    ["OMNIQ_WORKER_CONCURRENCY", "0", /expected an integer >= 1, got 0/],
    ["OMNIQ_WORKER_CONCURRENCY", "2.5", /expected a positive integer/],
    ["OMNIQ_LEASE_MS", "-1", /expected a positive integer/],
    ["OMNIQ_POLL_INTERVAL_MS", "500,100", /min <= max/],
    ["OMNIQ_WORKER_QUEUES", "a,,b", /OMNIQ_WORKER_QUEUES\[1\]/],
    ["OMNIQ_LOG_LEVEL", "verbose", /expected one of silent, error, warn, info, debug/],
    ["OMNIQ_QUEUE_URL", "none", /cannot be turned off/],
    ["OMNIQ_RESULTS_URL", "./no-scheme.db", /has no scheme/],
  ])("rejects %s=%s", async (name, value, reason) => {
    const error = await configError({ env: { [name]: value } });
    expect(error.key).toMatch(new RegExp(`^${name}`));
    expect(error.message).toMatch(reason);
  });

  it("rejects a near-miss variable name with a did-you-mean", async () => {
    const error = await configError({ env: { OMNIQ_QUEUE_UR: "sqlite:./q.db" } });
    expect(error.key).toBe("OMNIQ_QUEUE_UR");
    expect(error.message).toContain("did you mean OMNIQ_QUEUE_URL?");
  });

  it("never shows storage options from the environment, even when they are malformed", async () => {
    for (const value of ['{"secretAccessKey": "hunter2secret"', '["hunter2secret"]']) {
      const error = await configError({ env: { OMNIQ_QUEUE_STORAGE_OPTIONS: value } });
      expect(error.key).toBe("OMNIQ_QUEUE_STORAGE_OPTIONS");
      expect(error.message).toMatch(/expected a JSON object/);
      expect(error.message).not.toContain("hunter2secret");
      expect(error.cause).toBeUndefined();
    }
  });
});

describe("loadConfig: validation of config objects", () => {
  it("rejects unknown keys with a did-you-mean", async () => {
    const nested = await configError({ config: { worker: { concurency: 2 } } as never });
    expect(nested.key).toBe("worker.concurency");
    expect(nested.message).toContain('did you mean "concurrency"?');
    const top = await configError({ config: { queu: "inmemory:" } as never });
    expect(top.key).toBe("queu");
    expect(top.message).toContain('did you mean "queue"?');
    const component = await configError({
      config: { queue: { url: "inmemory:", storageOption: {} } } as never,
    });
    expect(component.key).toBe("queue.storageOption");
    expect(component.message).toContain('did you mean "storageOptions"?');
  });

  it("says what type was expected and what it got", async () => {
    const concurrency = await configError({ config: { worker: { concurrency: "4" } } as never });
    expect(concurrency.message).toBe(
      'config: worker.concurrency: expected an integer >= 1, got "4" (a string)',
    );
    const queues = await configError({ config: { worker: { queues: "emails" } } as never });
    expect(queues.message).toMatch(/expected an array of queue names, got "emails"/);
    const url = await configError({ config: { queue: 42 } as never });
    expect(url.message).toMatch(
      /expected a URL string or \{ url, storageOptions\?, options\? \}, got a number/,
    );
  });

  it("rejects an unknown scheme, listing the known ones", async () => {
    const error = await configError({ config: { queue: "sqllite:./x.db" } });
    expect(error.key).toBe("queue.url");
    expect(error.message).toContain('unknown scheme "sqllite:"; did you mean "sqlite"?');
    expect(error.message).toContain("known schemes: azure, file, gs, inmemory, memory, s3, sqlite");
  });

  it("never puts credentials in messages: storageOptions values and URL user-info", async () => {
    const options = await configError({
      config: { queue: { url: "s3://b/q", storageOptions: "hunter2secret" as never } },
    });
    expect(options.key).toBe("queue.storageOptions");
    expect(options.message).toBe("config: queue.storageOptions: expected an object, got a string");

    const url = await configError({ config: { results: "redis://admin:hunter2secret@host/0" } });
    expect(url.key).toBe("results.url");
    expect(url.message).not.toContain("hunter2secret");
  });

  it("redactConfig masks storageOptions values and URL credentials", async () => {
    const config = await load({
      config: {
        queue: {
          url: "s3://AKIA:hunter2secret@b/q?sig=abc",
          storageOptions: { key: "hunter2secret" },
        },
      },
    });
    const text = JSON.stringify(redactConfig(config));
    expect(text).not.toContain("hunter2secret");
    expect(text).not.toContain("abc");
    expect(redactConfig(config).queue).toEqual({
      url: "s3://***@b/q?sig=***",
      storageOptions: { key: "***" },
    });
  });
});
