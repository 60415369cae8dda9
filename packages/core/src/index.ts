export * from "./errors.js";
export * from "./ids.js";
export * from "./codec.js";
export * from "./schedule-clock.js";
export * from "./models/task.js";
export * from "./models/transitions.js";
export * from "./models/result.js";
export * from "./models/event.js";
export * from "./models/schedule.js";
export * from "./contracts/common.js";
export * from "./contracts/queue-types.js";
export * from "./contracts/base-queue.js";
export * from "./contracts/base-result-storage.js";
export * from "./contracts/base-event-storage.js";
export * from "./contracts/backend.js";
export { Lifecycle } from "./internal/lifecycle.js";
export {
  DEFAULT_MAX_RETRIES,
  DEFAULT_TASK_LIMITS,
  PRIORITY_MAX,
  PRIORITY_MIN,
  type PreparedTask,
  prepareTask,
  type TaskLimits,
  validateTaskName,
} from "./internal/normalize-task.js";
export { prepareSchedule } from "./internal/normalize-schedule.js";
export type { Backend as BaseBackend } from "./contracts/backend.js";
export type { UrlComponentOptions, UrlFactory } from "./config/url-factory.js";
export * from "./memory/index.js";
export * from "./pools/index.js";
export * from "./config/index.js";
export * from "./worker/index.js";
export * from "./omniq/index.js";
export * from "./logger.js";
export * from "./sync/index.js";
export * from "./contracts/base-component.js";
