import { type NodeChild, spawnNodeChild } from "./child-process.js";
import { LOCALHOST } from "./http-util.js";
import { resolvePackageBin } from "./resolve-bin.js";
import { makeTempDir, removeDir } from "./temp-dir.js";
import { waitForPort } from "./wait-for-port.js";

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT_NAME = "devstoreaccount1";
export const AZURITE_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface StartAzuriteOptions {
  /** Hide Azurite's access log. Default true. */
  silent?: boolean;
  /**
   * Keep data in memory instead of a temp dir. Faster, but `restart()` then loses all data.
   * Default false.
   */
  inMemory?: boolean;
}

export interface AzuriteServer {
  /** Blob service URL including the account, e.g. `http://127.0.0.1:41234/devstoreaccount1`. */
  readonly url: string;
  /** For `BlobServiceClient.fromConnectionString`. */
  readonly connectionString: string;
  readonly accountName: string;
  readonly accountKey: string;
  /** Kills Azurite and deletes its data. */
  stop(): Promise<void>;
  /**
   * Stops Azurite and starts it again on the same port with the same data (an outage).
   * `downtimeMs` keeps it down that long before restarting.
   */
  restart(opts?: { downtimeMs?: number }): Promise<void>;
}

/**
 * Starts Azurite's blob service (a child process) on 127.0.0.1 on a free port, with data in a
 * temp dir, `--loose` and `--skipApiVersionCheck`. Test infrastructure only.
 *
 * @example
 * ```ts
 * const azurite = await startAzurite();
 * const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
 * await service.getContainerClient("tasks").create();
 * // ...
 * await azurite.restart(); // outage: same port, same data
 * await azurite.stop();
 * ```
 */
export async function startAzurite(opts: StartAzuriteOptions = {}): Promise<AzuriteServer> {
  const silent = opts.silent ?? true;
  const bin = resolvePackageBin("azurite", "azurite-blob");
  const dataDir = await makeTempDir("azurite");
  let port = 0;
  let child: NodeChild | undefined;

  const launch = async (): Promise<void> => {
    const args = [
      bin,
      "--blobHost",
      LOCALHOST,
      "--blobPort",
      String(port),
      "--location",
      dataDir,
      "--skipApiVersionCheck",
      "--loose",
      "--disableTelemetry",
    ];
    if (opts.inMemory) args.push("--inMemoryPersistence");
    if (silent) args.push("--silent");
    child = await spawnNodeChild({
      name: "azurite",
      args,
      ready: /successfully listens on http:\/\/[\d.]+:(\d+)/,
      closed: /successfully closed/,
      verbose: !silent,
    });
    port = Number(child.match[1]);
    await waitForPort(LOCALHOST, port);
  };

  try {
    await launch();
  } catch (err) {
    await removeDir(dataDir);
    throw err;
  }

  const url = `http://${LOCALHOST}:${port}/${AZURITE_ACCOUNT_NAME}`;
  return {
    url,
    connectionString: [
      "DefaultEndpointsProtocol=http",
      `AccountName=${AZURITE_ACCOUNT_NAME}`,
      `AccountKey=${AZURITE_ACCOUNT_KEY}`,
      `BlobEndpoint=${url};`,
    ].join(";"),
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    async stop() {
      await child?.stop();
      child = undefined;
      await removeDir(dataDir);
    },
    async restart(restartOpts = {}) {
      await child?.stop();
      child = undefined;
      if (restartOpts.downtimeMs) await new Promise((r) => setTimeout(r, restartOpts.downtimeMs));
      await launch();
    },
  };
}
