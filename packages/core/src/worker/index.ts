export * from "./task-executor.js";
export { InProcessExecutor, UnknownTaskError } from "./in-process-executor.js";
export { Worker, type WorkerComponents } from "./worker.js";
export { WORKER_DEFAULTS, type WorkerOptions } from "./worker-options.js";
export type { WorkerStats } from "./worker-stats.js";
export {
  ATTEMPT_EVENTS,
  ATTEMPT_TRANSITIONS,
  AttemptState,
  WORKER_TRANSITIONS,
  WorkerState,
} from "./worker-state.js";
export { retryDelay } from "./retry-delay.js";
export { type ResultSharingQueue, usesAtomicResults } from "./atomic-results.js";
export { EventRecorder, type EventRecorderOptions } from "./event-recorder.js";
export { WakeHub, wakeHubFor } from "./wake-hub.js";
export { type ChangeWatchingQueue, watchQueueChanges } from "./change-watching-queue.js";
