export { AsyncOmniQ, type AsyncOmniQBaseOptions, type AsyncOmniQOptions } from "./async-omniq.js";
export type {
  AnyHandler,
  TaskArgs,
  TaskDefinition,
  TaskHandle,
  TaskReturn,
  TaskScheduleOptions,
} from "./task-definition.js";
export type { EnqueueOptions, TaskOptions, TaskRequest } from "./task-options.js";
export { type ResultOptions, resultFromTask } from "./result-waiter.js";
export {
  OmniQ,
  type OmniQCommonOptions,
  type OmniQConfigOptions,
  type OmniQOptions,
} from "./omniq.js";
export { BlockingWorker } from "./omniq-sync-worker.js";
export type { BlockingComponent, OmniQComponent } from "./omniq-sync-components.js";
export type {
  BlockingResultOptions,
  BlockingTaskDefinition,
  BlockingTaskHandle,
  BlockingTasks,
  BlockingWorkerOptions,
  TaskModuleHandlers,
  TaskModuleNames,
  UntypedHandler,
  UntypedTaskModule,
} from "./omniq-sync-types.js";
