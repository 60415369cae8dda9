import {
  AsyncMemoryEventStorage,
  AsyncMemoryQueue,
  AsyncMemoryResultStorage,
} from "../src/index.js";
import {
  eventStorageConformance,
  queueConformance,
  resultStorageConformance,
} from "../src/testing/conformance.js";

queueConformance({
  name: "memory",
  create: () => new AsyncMemoryQueue(),
  capabilities: { crossProcessClaims: false },
});
resultStorageConformance({ name: "memory", create: () => new AsyncMemoryResultStorage() });
eventStorageConformance({ name: "memory", create: () => new AsyncMemoryEventStorage() });
