import { toJson } from "../codec.js";
import { ValidationError } from "../errors.js";
import { describe, uuidv7, validateId, validateQueueName } from "../ids.js";
import { BaseComponent } from "./base-component.js";
import {
  type EventQuery,
  type NewTaskEvent,
  type TaskEvent,
  TaskEventType,
} from "../models/event.js";
import type { Page } from "./common.js";

/** The event-storage contract: an append-only lifecycle log, queried by task, queue, type and time. */
export interface EventStorage {
  append(event: NewTaskEvent): Promise<TaskEvent>;
  appendMany(events: readonly NewTaskEvent[]): Promise<TaskEvent[]>;
  query(query?: EventQuery): Promise<Page<TaskEvent>>;
  /** Deletes events with `at < before`. */
  purge(options: { before: Date }): Promise<number>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A validated event with `data` encoded as JSON. */
export interface PreparedEvent {
  event: TaskEvent;
  dataJson: string | null;
}

const TYPES = new Set<string>(Object.values(TaskEventType));

/** Shared part of every event storage: validation, ids, lifecycle. */
export abstract class BaseEventStorage extends BaseComponent implements EventStorage {
  protected abstract writeEvents(events: readonly PreparedEvent[]): Promise<void>;
  /** `limit` and `order` are set; ordering is by `at`, then `id`. */
  protected abstract queryEvents(
    query: EventQuery & { limit: number; order: "asc" | "desc" },
  ): Promise<Page<TaskEvent>>;
  protected abstract purgeEvents(before: Date): Promise<number>;

  async append(event: NewTaskEvent): Promise<TaskEvent> {
    const [e] = await this.appendMany([event]);
    return e!;
  }

  async appendMany(events: readonly NewTaskEvent[]): Promise<TaskEvent[]> {
    await this.lifecycle.ensure();
    const prepared = events.map((e, i) =>
      prepareEvent(e, events.length === 1 ? "" : `events[${i}]`),
    );
    await this.writeEvents(prepared);
    return prepared.map((p) => p.event);
  }

  async query(query: EventQuery = {}): Promise<Page<TaskEvent>> {
    await this.lifecycle.ensure();
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new ValidationError(
        "limit",
        `limit: expected an integer from 1 to 10000, got ${String(limit)}`,
      );
    }
    const order = query.order ?? "asc";
    if (order !== "asc" && order !== "desc") {
      throw new ValidationError(
        "order",
        `order: expected "asc" or "desc", got ${JSON.stringify(order)}`,
      );
    }
    if (query.taskId !== undefined) validateId(query.taskId, "taskId");
    if (query.queue !== undefined) validateQueueName(query.queue, "queue");
    for (const [i, t] of (query.types ?? []).entries()) {
      if (!TYPES.has(t))
        throw new ValidationError(
          `types[${i}]`,
          `types[${i}]: unknown event type ${JSON.stringify(t)}`,
        );
    }
    return this.queryEvents({ ...query, limit, order });
  }

  async purge(options: { before: Date }): Promise<number> {
    await this.lifecycle.ensure();
    if (!(options?.before instanceof Date)) {
      throw new ValidationError(
        "before",
        `before: expected a Date, got ${describe(options?.before)}`,
      );
    }
    return this.purgeEvents(options.before);
  }
}

/** Validates an event, fills `id`/`at`/nulls, and encodes `data`. */
export function prepareEvent(input: NewTaskEvent, field = ""): PreparedEvent {
  const f = (name: string) => (field ? `${field}.${name}` : name);
  if (input === null || typeof input !== "object") {
    throw new ValidationError(
      field || "event",
      `${field || "event"}: expected an object, got ${describe(input)}`,
    );
  }
  if (!TYPES.has(input.type)) {
    throw new ValidationError(
      f("type"),
      `${f("type")}: unknown event type ${JSON.stringify(input.type)}`,
    );
  }
  const at = input.at ?? new Date();
  const event: TaskEvent = {
    id: input.id === undefined ? uuidv7(at.getTime()) : validateId(input.id, f("id")),
    taskId: validateId(input.taskId, f("taskId")),
    type: input.type,
    at,
    queue: validateQueueName(input.queue, f("queue")),
    workerId: input.workerId ?? null,
    attempt: input.attempt ?? null,
    data: input.data ?? null,
  };
  const dataJson =
    event.data === null ? null : JSON.stringify(toJson(event.data, f("data"), new Set()));
  return { event, dataJson };
}
