import type { TaskResult } from "../models/result.js";

type EnqueuedListener = (queue: string, runAt: Date) => void;
type TaskListener = (taskId: string) => void;
type FinishedListener = (result: TaskResult | null) => void;

/**
 * In-process notifications for one queue instance: an enqueue wakes idle workers at once,
 * a cancel aborts the running handler at once, a finished task wakes `result()` waiters, a
 * schedule change makes workers re-read when the next tick is due.
 * Everything sharing the queue object in this process (every `AsyncOmniQ` and worker built
 * on it) shares its hub; other processes find out by polling and heartbeats.
 */
export class WakeHub {
  readonly #enqueued = new Set<EnqueuedListener>();
  readonly #cancelled = new Set<TaskListener>();
  readonly #finished = new Map<string, Set<FinishedListener>>();
  readonly #schedules = new Set<() => void>();

  /** Tasks were enqueued into `queue`; `runAt` is when the earliest becomes due. */
  enqueued(queue: string, runAt: Date = new Date()): void {
    for (const l of this.#enqueued) l(queue, runAt);
  }

  cancelled(taskId: string): void {
    for (const l of this.#cancelled) l(taskId);
  }

  /** The task reached a final state; `result` when the notifier has it, else `null` (read storage). */
  finished(taskId: string, result: TaskResult | null = null): void {
    const set = this.#finished.get(taskId);
    if (!set) return;
    for (const l of set) l(result);
  }

  /** A schedule was added, changed, paused, resumed or removed: workers re-read when to fire next. */
  schedulesChanged(): void {
    for (const l of this.#schedules) l();
  }

  onSchedulesChanged(listener: () => void): () => void {
    this.#schedules.add(listener);
    return () => this.#schedules.delete(listener);
  }

  onEnqueued(listener: EnqueuedListener): () => void {
    this.#enqueued.add(listener);
    return () => this.#enqueued.delete(listener);
  }

  onCancelled(listener: TaskListener): () => void {
    this.#cancelled.add(listener);
    return () => this.#cancelled.delete(listener);
  }

  onFinished(taskId: string, listener: FinishedListener): () => void {
    let set = this.#finished.get(taskId);
    if (!set) {
      set = new Set();
      this.#finished.set(taskId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#finished.delete(taskId);
    };
  }
}

const hubs = new WeakMap<object, WakeHub>();

/** The hub of a queue instance (created on first use; garbage-collected with the queue). */
export function wakeHubFor(queue: object): WakeHub {
  let hub = hubs.get(queue);
  if (!hub) {
    hub = new WakeHub();
    hubs.set(queue, hub);
  }
  return hub;
}
