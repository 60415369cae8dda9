import { toJson } from "../codec.js";
import { ValidationError } from "../errors.js";
import { describe, validateId, validateQueueName } from "../ids.js";
import { BaseComponent } from "./base-component.js";
import type { TaskResult } from "../models/result.js";
import type { Page } from "./common.js";

export interface ResultListOptions {
  queue?: string;
  status?: TaskResult["status"];
  /** @defaultValue 100 */
  limit?: number;
  cursor?: string;
}

/**
 * The result-storage contract: outcomes of finished tasks by task id, with a TTL.
 * An expired result reads as absent even before `purgeExpired` deletes it.
 */
export interface ResultStorage {
  set(result: TaskResult): Promise<void>;
  setMany(results: readonly TaskResult[]): Promise<void>;
  get<T = unknown>(taskId: string): Promise<TaskResult<T> | null>;
  /** Aligned with `taskIds`: `null` where there is no (live) result. */
  getMany(taskIds: readonly string[]): Promise<Array<TaskResult | null>>;
  delete(taskId: string): Promise<boolean>;
  list(options?: ResultListOptions): Promise<Page<TaskResult>>;
  purgeExpired(now?: Date): Promise<number>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A validated result with its value/error encoded as JSON. */
export interface PreparedResult {
  result: TaskResult;
  json: string;
}

/** Shared part of every result storage: validation and lifecycle. */
export abstract class BaseResultStorage extends BaseComponent implements ResultStorage {
  protected abstract writeResults(results: readonly PreparedResult[]): Promise<void>;
  protected abstract readResults(
    taskIds: readonly string[],
    now: Date,
  ): Promise<Array<TaskResult | null>>;
  protected abstract deleteResult(taskId: string): Promise<boolean>;
  protected abstract listResults(
    options: ResultListOptions & { limit: number },
    now: Date,
  ): Promise<Page<TaskResult>>;
  protected abstract purgeResults(now: Date): Promise<number>;

  async set(result: TaskResult): Promise<void> {
    await this.setMany([result]);
  }

  async setMany(results: readonly TaskResult[]): Promise<void> {
    await this.lifecycle.ensure();
    await this.writeResults(
      results.map((r, i) => prepareResult(r, results.length === 1 ? "" : `results[${i}]`)),
    );
  }

  async get<T = unknown>(taskId: string): Promise<TaskResult<T> | null> {
    await this.lifecycle.ensure();
    const [r] = await this.readResults([validateId(taskId, "taskId")], new Date());
    return (r ?? null) as TaskResult<T> | null;
  }

  async getMany(taskIds: readonly string[]): Promise<Array<TaskResult | null>> {
    await this.lifecycle.ensure();
    if (taskIds.length === 0) return [];
    return this.readResults(
      taskIds.map((id, i) => validateId(id, `taskIds[${i}]`)),
      new Date(),
    );
  }

  async delete(taskId: string): Promise<boolean> {
    await this.lifecycle.ensure();
    return this.deleteResult(validateId(taskId, "taskId"));
  }

  async list(options: ResultListOptions = {}): Promise<Page<TaskResult>> {
    await this.lifecycle.ensure();
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new ValidationError(
        "limit",
        `limit: expected an integer from 1 to 10000, got ${String(limit)}`,
      );
    }
    const queue = options.queue === undefined ? undefined : validateQueueName(options.queue);
    return this.listResults({ ...options, queue, limit }, new Date());
  }

  async purgeExpired(now: Date = new Date()): Promise<number> {
    await this.lifecycle.ensure();
    return this.purgeResults(now);
  }
}

/** Validates a result and encodes it (the whole record) as JSON. */
export function prepareResult(result: TaskResult, field = ""): PreparedResult {
  const f = (name: string) => (field ? `${field}.${name}` : name);
  if (result === null || typeof result !== "object") {
    throw new ValidationError(
      field || "result",
      `${field || "result"}: expected an object, got ${describe(result)}`,
    );
  }
  validateId(result.taskId, f("taskId"));
  if (result.status !== "success" && result.status !== "failed") {
    throw new ValidationError(
      f("status"),
      `${f("status")}: expected "success" or "failed", got ${JSON.stringify(result.status)}`,
    );
  }
  if (!(result.finishedAt instanceof Date)) {
    throw new ValidationError(
      f("finishedAt"),
      `${f("finishedAt")}: expected a Date, got ${describe(result.finishedAt)}`,
    );
  }
  if (result.queue !== undefined) validateQueueName(result.queue, f("queue"));
  const json = JSON.stringify(toJson(result, field, new Set()));
  return { result, json };
}
