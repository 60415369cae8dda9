import {
  blockingEventStorageConformance,
  blockingQueueConformance,
  blockingResultStorageConformance,
} from "@omniq/core/testing";
// The blocking twins run the async classes in a worker thread that imports the built files.
import { FileEventStorage, FileQueue, FileResultStorage } from "../dist/index.js";
import { tempDir } from "./helpers.js";

blockingQueueConformance({
  name: "file/local",
  create: () => new FileQueue({ baseDir: tempDir("bq") }),
  capabilities: { crossProcessClaims: true },
});
blockingResultStorageConformance({
  name: "file/local",
  create: () => new FileResultStorage({ url: `file:${tempDir("br")}` }),
});
blockingEventStorageConformance({
  name: "file/local",
  create: () => new FileEventStorage({ target: { kind: "local", baseDir: tempDir("be") } }),
});
