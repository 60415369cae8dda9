import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AsyncMemoryEventStorage,
  AsyncMemoryQueue,
  AsyncMemoryResultStorage,
  BackendError,
  buildComponents,
  ClosedError,
  ConfigError,
  defaultSchemeRegistry,
  loadConfig,
  MissingPackageError,
  registerUrlFactory,
  resolveComponent,
  SchemeRegistry,
  type UrlComponentOptions,
  type UrlFactory,
} from "../src/index.js";

const SECRET = "hunter2-very-secret";

/** A third-party backend stand-in: real memory components, and a record of what it was asked. */
function acmeFactory(schemes: string[] = ["acme"]) {
  const calls: Array<{ kind: string; url: string; options: UrlComponentOptions | undefined }> = [];
  const built: AsyncMemoryQueue[] = [];
  const factory: UrlFactory = {
    schemes,
    queue(url, options) {
      calls.push({ kind: "queue", url, options });
      const queue = new AsyncMemoryQueue();
      built.push(queue);
      return queue;
    },
    results(url, options) {
      calls.push({ kind: "results", url, options });
      if (url.includes("broken")) {
        throw new Error(`cannot connect with key ${String(options?.storageOptions?.key)}`);
      }
      return new AsyncMemoryResultStorage();
    },
    events(url, options) {
      calls.push({ kind: "events", url, options });
      return { not: "an event storage" } as never;
    },
  };
  return { factory, calls, built };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe("resolveComponent: inmemory:", () => {
  it("builds core's memory components, each a new store", async () => {
    const { queue, results, events } = await buildComponents({
      queue: "inmemory:",
      results: "inmemory://",
      events: "inmemory:",
    });
    expect(queue).toBeInstanceOf(AsyncMemoryQueue);
    expect(results).toBeInstanceOf(AsyncMemoryResultStorage);
    expect(events).toBeInstanceOf(AsyncMemoryEventStorage);
    const task = await queue.enqueue({ name: "email.send", args: ["a@example.com"] });
    expect((await queue.dequeue({ workerId: "w1" }))?.id).toBe(task.id);
    const other = await resolveComponent("queue", "inmemory:");
    expect(await other.count()).toBe(0);
    await Promise.all([queue.close(), results?.close(), events?.close(), other.close()]);
  });

  it("rejects other inmemory URLs and storageOptions", async () => {
    const named = await rejection(resolveComponent("queue", "inmemory:shared"));
    expect(named).toBeInstanceOf(ConfigError);
    expect((named as ConfigError).key).toBe("queue.url");
    expect(named.message).toContain("memory://name");
    const withOptions = await rejection(
      resolveComponent("results", { url: "inmemory:", storageOptions: { key: SECRET } }),
    );
    expect(withOptions.message).toContain("takes no storageOptions");
    expect(withOptions.message).not.toContain(SECRET);
  });
});

describe("resolveComponent: the scheme registry", () => {
  it("passes the URL, options and storageOptions to a registered factory", async () => {
    const { factory, calls } = acmeFactory();
    const registry = new SchemeRegistry({ builtins: false }).register(factory);
    expect(registry.schemes()).toEqual(["acme"]);
    const queue = await resolveComponent(
      "queue",
      { url: "acme://host/q", storageOptions: { key: "k" }, options: { defaultLeaseMs: 5000 } },
      { registry },
    );
    expect(calls).toEqual([
      {
        kind: "queue",
        url: "acme://host/q",
        options: { defaultLeaseMs: 5000, storageOptions: { key: "k" } },
      },
    ]);
    await queue.close();
    const unknown = await rejection(resolveComponent("queue", "inmemory:", { registry }));
    expect(unknown.message).toContain('unknown scheme "inmemory:"');
  });

  it("registerUrlFactory makes a scheme known to loadConfig and buildComponents", async () => {
    const { factory, calls } = acmeFactory(["acmeglobal"]);
    registerUrlFactory(factory);
    expect(defaultSchemeRegistry.has("acmeglobal")).toBe(true);
    const config = await loadConfig({ env: { OMNIQ_QUEUE_URL: "acmeglobal://x" }, file: false });
    const { queue, results } = await buildComponents(config);
    expect(results).toBeUndefined();
    expect(calls.map((c) => c.url)).toEqual(["acmeglobal://x"]);
    await queue.close();
  });

  it("rejects a factory that returns something other than the component", async () => {
    const { factory } = acmeFactory();
    const registry = new SchemeRegistry().register(factory);
    const error = await rejection(resolveComponent("events", "acme://e", { registry }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(
      "factory's events() returned something without append() and close()",
    );
  });

  it("keys build errors by the setting the URL came from, and closes what was built", async () => {
    const { factory, built } = acmeFactory();
    const registry = new SchemeRegistry().register(factory);
    const config = await loadConfig({
      env: {
        OMNIQ_QUEUE_URL: "acme://q",
        OMNIQ_RESULTS_URL: "acme://broken",
        OMNIQ_RESULTS_STORAGE_OPTIONS: JSON.stringify({ key: SECRET }),
      },
      file: false,
      registry,
    });
    const error = await rejection(buildComponents(config, { registry }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe("OMNIQ_RESULTS_URL");
    expect(error.message).toBe(
      'config: OMNIQ_RESULTS_URL: cannot build the results from "acme://broken": Error: cannot connect with key ***',
    );
    expect(error.cause).toBeUndefined();
    expect(built).toHaveLength(1);
    await expect(built[0]!.count()).rejects.toBeInstanceOf(ClosedError);
  });

  it("masks credentials in URLs and storageOptions in every message", async () => {
    const { factory } = acmeFactory();
    const registry = new SchemeRegistry().register(factory);
    const error = await rejection(
      resolveComponent(
        "results",
        { url: `acme://user:${SECRET}@broken/r?token=${SECRET}`, storageOptions: { key: SECRET } },
        { registry },
      ),
    );
    expect(error.message).not.toContain(SECRET);
    expect(error.message).toContain('"acme://***@broken/r?token=***"');
    expect(String(error.stack)).not.toContain(SECRET);
  });
});

describe("resolveComponent: lazily loaded packages", () => {
  let appDir: string;
  beforeAll(() => {
    appDir = mkdtempSync(join(tmpdir(), "omniq-app-"));
    const pkg = (name: string, source: string) => {
      const dir = join(appDir, "node_modules", name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({ name, type: "module", exports: "./index.js" }),
      );
      writeFileSync(join(dir, "index.js"), source);
    };
    // A backend package as an application would install it, found from the app's directory.
    pkg(
      "omniq-acme-fixture",
      `const component = (kind) => (url, options) => ({ kind, url, options, enqueue() {}, set() {}, append() {}, async close() {} });
export const omniqUrlFactory = { schemes: ["acmelazy"], queue: component("queue"), results: component("results"), events: component("events") };`,
    );
    pkg("omniq-no-factory-fixture", "export const something = 1;");
    pkg("omniq-throws-fixture", 'throw new Error("native build missing");');
  });
  afterAll(() => rmSync(appDir, { recursive: true, force: true }));

  it("imports the package's omniqUrlFactory on first use, from the application's directory", async () => {
    const registry = new SchemeRegistry().registerLazy("acmelazy", "omniq-acme-fixture");
    expect(registry.packageFor("acmelazy")).toBe("omniq-acme-fixture");
    const queue = await resolveComponent(
      "queue",
      { url: "acmelazy://q", storageOptions: { region: "r1" } },
      { registry, cwd: appDir },
    );
    expect(queue).toMatchObject({
      kind: "queue",
      url: "acmelazy://q",
      options: { storageOptions: { region: "r1" } },
    });
  });

  it("is a MissingPackageError naming the package to install when it is absent", async () => {
    const registry = new SchemeRegistry().registerLazy("acmelazy", "@omniq/not-installed-fixture");
    const error = await rejection(
      resolveComponent("queue", "acmelazy://q", { registry, cwd: appDir }),
    );
    expect(error).toBeInstanceOf(MissingPackageError);
    expect((error as MissingPackageError).packageName).toBe("@omniq/not-installed-fixture");
    expect(error.message).toContain("install it with: npm install @omniq/not-installed-fixture");
  });

  it("maps the built-in schemes to their packages", () => {
    const registry = new SchemeRegistry();
    expect(registry.schemes()).toEqual([
      "azure",
      "file",
      "gs",
      "inmemory",
      "memory",
      "s3",
      "sqlite",
    ]);
    expect(registry.packageFor("sqlite")).toBe("@omniq/sqlite");
    for (const scheme of ["memory", "file", "s3", "azure", "gs"]) {
      expect(registry.packageFor(scheme)).toBe("@omniq/file");
    }
    expect(registry.packageFor("inmemory")).toBeUndefined();
  });

  it("keeps storageOptions out of the missing-package message", async () => {
    const registry = new SchemeRegistry().registerLazy("s3", "@omniq/not-installed-fixture");
    const error = await rejection(
      resolveComponent(
        "queue",
        { url: "s3://bucket/q", storageOptions: { secretAccessKey: SECRET } },
        { registry, cwd: appDir },
      ),
    );
    expect(error).toBeInstanceOf(MissingPackageError);
    expect(error.message).not.toContain(SECRET);
  });

  it("explains a package without omniqUrlFactory and one that fails to load", async () => {
    const registry = new SchemeRegistry()
      .registerLazy("nofactory", "omniq-no-factory-fixture")
      .registerLazy("throws", "omniq-throws-fixture");
    const noFactory = await rejection(
      resolveComponent("queue", "nofactory:x", { registry, cwd: appDir }),
    );
    expect(noFactory).toBeInstanceOf(ConfigError);
    expect(noFactory.message).toContain(
      "omniq-no-factory-fixture does not export a valid omniqUrlFactory",
    );
    const throws = await rejection(
      resolveComponent("queue", "throws:x", { registry, cwd: appDir }),
    );
    expect(throws).toBeInstanceOf(BackendError);
    expect(throws.message).toContain("omniq-throws-fixture is installed but failed to load");
  });

  it("rejects a scheme the loaded package does not serve", async () => {
    const registry = new SchemeRegistry().registerLazy("other", "omniq-acme-fixture");
    const error = await rejection(resolveComponent("queue", "other:x", { registry, cwd: appDir }));
    expect(error.message).toContain('does not serve "other:" (it serves acmelazy)');
  });
});
