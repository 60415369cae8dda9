import type { TaskResult } from "../models/result.js";
import type { NewSchedule, Schedule } from "../models/schedule.js";
import type { Task } from "../models/task.js";
import type {
  BlockingResultOptions,
  BlockingTaskDefinition,
  BlockingTaskHandle,
} from "./omniq-sync-types.js";
import type { TaskScheduleOptions } from "./task-definition.js";
import {
  type EnqueueOptions,
  mergeOptions,
  scheduledTaskOptions,
  type TaskRequest,
} from "./task-options.js";

/** What a blocking definition needs from its `OmniQ` (internal). */
export interface BlockingDefinitionHost {
  enqueueMany(requests: readonly TaskRequest[]): Task[];
  result<R>(id: string, options?: BlockingResultOptions): TaskResult<R>;
  cancel(id: string, reason?: string): Task;
  schedule(schedule: NewSchedule): Schedule;
}

/** A blocking handle: the stored task as plain data, plus helpers calling back into the OmniQ. */
export function createBlockingHandle<R, Args extends readonly unknown[]>(
  host: BlockingDefinitionHost,
  task: Task,
): BlockingTaskHandle<R, Args> {
  return Object.freeze({
    id: task.id,
    task: task as unknown as Task<Args>,
    result: (options?: BlockingResultOptions) => host.result<R>(task.id, options),
    cancel: (reason?: string) => host.cancel(task.id, reason),
  });
}

/**
 * Builds `omniq.tasks.<name>` (internal). Like the async `createTaskDefinition`: `with()`
 * merges per-call options; the task's registered options apply in the OmniQ's thread.
 */
export function createBlockingDefinition<Args extends readonly unknown[], R>(
  host: BlockingDefinitionHost,
  name: string,
  options: EnqueueOptions,
): BlockingTaskDefinition<Args, R> {
  const request = (args: Args): TaskRequest => ({ ...options, name, args });
  const handle = (task: Task) => createBlockingHandle<R, Args>(host, task);
  return Object.freeze({
    name,
    options: Object.freeze({ ...options }),
    enqueue(...args: Args) {
      return handle(host.enqueueMany([request(args)])[0]!);
    },
    with(more: EnqueueOptions) {
      return createBlockingDefinition<Args, R>(host, name, mergeOptions(options, more));
    },
    request: (...args: Args) => request(args),
    enqueueMany(argsList: readonly Args[]) {
      return host.enqueueMany(argsList.map(request)).map(handle);
    },
    schedule(scheduleOptions: TaskScheduleOptions, ...args: Args) {
      return host.schedule({
        ...scheduleOptions,
        queue: scheduleOptions.queue ?? options.queue,
        taskOptions: { ...scheduledTaskOptions(options), ...scheduleOptions.taskOptions },
        name,
        args,
      });
    },
  });
}
