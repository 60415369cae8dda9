import type { ResultStorage } from "../contracts/base-result-storage.js";
import type { TaskQueue } from "../contracts/queue-types.js";
import type { Logger } from "../logger.js";
import type { Task } from "../models/task.js";
import type { CompletionBatcher } from "./completion-batcher.js";
import type { EventRecorder } from "./event-recorder.js";
import type { TaskExecutor } from "./task-executor.js";
import type { WakeHub } from "./wake-hub.js";
import type { WorkerStats } from "./worker-stats.js";

/** What an attempt needs from its worker (internal). */
export interface WorkerRuntime {
  queue: TaskQueue;
  results: ResultStorage | undefined;
  /** `complete()` stores the result in the same transaction (see `sharesResultStore`). */
  atomicResults: boolean;
  recorder: EventRecorder;
  hub: WakeHub;
  executor: TaskExecutor;
  batcher: CompletionBatcher;
  logger: Logger;
  workerId: string;
  leaseMs: number;
  stats: WorkerStats;
  /** Records `cancelled` events for the tasks the queue cancelled because `task` ended badly. */
  recordCascade(task: Task): Promise<void>;
}
