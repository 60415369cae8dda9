import {
  eventStorageConformance,
  queueConformance,
  resultStorageConformance,
} from "@omniq/core/testing";
import {
  AsyncFileEventStorage,
  AsyncFileQueue,
  AsyncFileResultStorage,
  MemoryTarget,
} from "../src/index.js";

queueConformance({
  name: "file/memory",
  create: () => new AsyncFileQueue({ target: new MemoryTarget() }),
  capabilities: { crossProcessClaims: false },
});
resultStorageConformance({
  name: "file/memory",
  create: () => new AsyncFileResultStorage({ target: new MemoryTarget() }),
});
eventStorageConformance({
  name: "file/memory",
  create: () => new AsyncFileEventStorage({ target: new MemoryTarget() }),
});
