export { AsyncOmniQ, type AsyncOmniQOptions } from "./async-omniq.js";
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
