/** A fair (FIFO) readers-writer lock. */
export class RwLock {
  /** >0: that many readers hold it; -1: a writer holds it. */
  #active = 0;
  readonly #queue: { write: boolean; grant: () => void }[] = [];

  get idle(): boolean {
    return this.#active === 0 && this.#queue.length === 0;
  }

  /** Resolves with a release function once the lock is held. */
  acquire(write: boolean): Promise<() => void> {
    return new Promise((resolve) => {
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        this.#active = write ? 0 : this.#active - 1;
        this.#pump();
      };
      this.#queue.push({ write, grant: () => resolve(release) });
      this.#pump();
    });
  }

  async run<T>(write: boolean, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(write);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #pump(): void {
    for (let next = this.#queue[0]; next; next = this.#queue[0]) {
      if (next.write) {
        if (this.#active !== 0) return;
        this.#active = -1;
      } else {
        if (this.#active < 0) return;
        this.#active++;
      }
      this.#queue.shift();
      next.grant();
    }
  }
}

/** One {@link RwLock} per key, created on demand and dropped when idle. */
export class KeyedRwLock {
  readonly #locks = new Map<string, RwLock>();

  async run<T>(key: string, write: boolean, fn: () => Promise<T>): Promise<T> {
    let lock = this.#locks.get(key);
    if (!lock) {
      lock = new RwLock();
      this.#locks.set(key, lock);
    }
    const release = await lock.acquire(write);
    try {
      return await fn();
    } finally {
      release();
      if (lock.idle && this.#locks.get(key) === lock) this.#locks.delete(key);
    }
  }
}
