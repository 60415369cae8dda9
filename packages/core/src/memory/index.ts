export { AsyncMemoryQueue, type AsyncMemoryQueueOptions } from "./memory-queue.js";
export { AsyncMemoryResultStorage } from "./memory-result-storage.js";
export { AsyncMemoryEventStorage } from "./memory-event-storage.js";
