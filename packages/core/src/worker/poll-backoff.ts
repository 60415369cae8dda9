/** Adaptive poll interval: starts at `min`, doubles while idle up to `max`, back to `min` on work. */
export class PollBackoff {
  #current: number;
  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    this.#current = min;
  }

  /** The interval to wait now; the following call returns double (up to `max`). */
  next(): number {
    const out = this.#current;
    this.#current = Math.min(this.max, Math.max(1, this.#current * 2));
    return out;
  }

  reset(): void {
    this.#current = this.min;
  }
}
