import {
  AsyncMemoryEventStorage,
  AsyncMemoryQueue,
  AsyncMemoryResultStorage,
} from "../src/index.js";
import { runtimeConformance } from "../src/testing/index.js";

runtimeConformance({
  name: "memory",
  create: () => ({
    queue: new AsyncMemoryQueue(),
    results: new AsyncMemoryResultStorage(),
    events: new AsyncMemoryEventStorage(),
  }),
});
