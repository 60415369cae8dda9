import {
  eventStorageConformance,
  queueConformance,
  resultStorageConformance,
} from "@omniq/core/testing";
import { AsyncFileEventStorage, AsyncFileQueue, AsyncFileResultStorage } from "../src/index.js";
import { tempDir } from "./helpers.js";

queueConformance({
  name: "file/local",
  create: () => new AsyncFileQueue({ baseDir: tempDir("q") }),
  capabilities: { crossProcessClaims: true },
});
resultStorageConformance({
  name: "file/local",
  create: () => new AsyncFileResultStorage({ url: `file:${tempDir("r")}` }),
});
eventStorageConformance({
  name: "file/local",
  create: () => new AsyncFileEventStorage({ target: { kind: "local", baseDir: tempDir("e") } }),
});
