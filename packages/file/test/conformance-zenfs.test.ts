import {
  eventStorageConformance,
  queueConformance,
  resultStorageConformance,
} from "@omniq/core/testing";
import { configureSingle, fs, InMemory } from "@zenfs/core";
import { beforeAll } from "vitest";
import {
  AsyncFileEventStorage,
  AsyncFileQueue,
  AsyncFileResultStorage,
  ZenFsTarget,
} from "../src/index.js";

beforeAll(async () => {
  await configureSingle({ backend: InMemory });
});

let n = 0;
const target = () => new ZenFsTarget({ fs: fs.promises, baseDir: `/omniq-${++n}` });

queueConformance({
  name: "file/zenfs",
  create: () => new AsyncFileQueue({ target: target() }),
  capabilities: { crossProcessClaims: false },
});
resultStorageConformance({
  name: "file/zenfs",
  create: () => new AsyncFileResultStorage({ target: target() }),
});
eventStorageConformance({
  name: "file/zenfs",
  create: () => new AsyncFileEventStorage({ target: target() }),
});
