/** A sleep that can be cut short. A `wake()` while nobody sleeps makes the next `wait()` return at once. */
export class Wakeup {
  #pending = false;
  #resolve: (() => void) | undefined;

  wake(): void {
    if (this.#resolve) this.#resolve();
    else this.#pending = true;
  }

  wait(ms: number, unref = false): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#resolve = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      if (unref) timer.unref?.();
      this.#resolve = done;
    });
  }
}
