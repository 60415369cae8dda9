import type { EventStorage } from "../contracts/base-event-storage.js";
import { uuidv7 } from "../ids.js";
import type { NewTaskEvent } from "../models/event.js";
import { type Logger, silentLogger } from "../logger.js";

export interface EventRecorderOptions {
  /** How long events collect before one `appendMany`. @defaultValue 2 */
  flushMs?: number;
  /** Flush at once when this many are waiting. @defaultValue 500 */
  maxBatch?: number;
  logger?: Logger;
}

/**
 * Batches lifecycle events into `appendMany` calls so event writes stay off the hot path.
 * Ids and times are taken when an event is recorded, so order is kept whatever the flush
 * timing. Without event storage it records nothing and costs nothing. A failed write is
 * logged (warn) and dropped: events are a record, never a reason to fail a task.
 */
export class EventRecorder {
  readonly #storage: EventStorage | undefined;
  readonly #flushMs: number;
  readonly #maxBatch: number;
  readonly #logger: Logger;
  #buffer: NewTaskEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(storage: EventStorage | undefined, options: EventRecorderOptions = {}) {
    this.#storage = storage;
    this.#flushMs = options.flushMs ?? 2;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#logger = options.logger ?? silentLogger;
  }

  get enabled(): boolean {
    return this.#storage !== undefined;
  }

  record(event: NewTaskEvent): void {
    if (!this.#storage) return;
    const at = event.at ?? new Date();
    this.#buffer.push({ ...event, at, id: event.id ?? uuidv7(at.getTime()) });
    if (this.#buffer.length >= this.#maxBatch) {
      void this.flush();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.#flushMs);
      this.#timer.unref?.();
    }
  }

  /** Writes everything recorded so far; resolves when it is stored (or dropped after an error). */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const storage = this.#storage;
    if (!storage || this.#buffer.length === 0) return this.#writing;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#writing = this.#writing.then(async () => {
      try {
        await storage.appendMany(batch);
      } catch (err) {
        this.#logger.warn(
          { err, count: batch.length },
          "omniq: could not write task events; dropped them",
        );
      }
    });
    return this.#writing;
  }
}
