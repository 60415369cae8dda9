interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/**
 * Counting semaphore that hands permits out in call order. A waiter whose signal aborts
 * leaves the line and rejects with the signal's reason.
 */
export class FifoSemaphore {
  #free: number;
  readonly #waiters: Waiter[] = [];

  constructor(permits: number) {
    this.#free = permits;
  }

  /** Calls waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#free > 0 && this.#waiters.length === 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Gives a permit back: to the longest waiter, or to the pool. */
  release(): void {
    const next = this.#waiters.shift();
    if (next) {
      next.cleanup();
      next.resolve();
    } else {
      this.#free++;
    }
  }

  /** Rejects every waiter with `error` (used by close()). */
  rejectAll(error: unknown): void {
    for (const waiter of this.#waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }
}
