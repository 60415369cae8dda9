import { ClosedError } from "../errors.js";

/**
 * Init once, retry a failed init on the next call, refuse use after close.
 * Every component in OmniQ runs through one of these (kysely's runtime driver, in small).
 */
export class Lifecycle {
  #init: (() => Promise<void>) | undefined;
  #pending: Promise<void> | undefined;
  #ready = false;
  #closed = false;
  readonly #label: string;

  constructor(label: string, init?: () => Promise<void>) {
    this.#label = label;
    this.#init = init;
  }

  get ready(): boolean {
    return this.#ready && !this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Throws {@link ClosedError} after close; fast when already initialised. */
  assertOpen(): void {
    if (this.#closed) throw new ClosedError(`${this.#label}: used after close()`);
  }

  /** Runs init once; a failed init is retried by the next call. */
  ensure(): Promise<void> | undefined {
    if (this.#closed) throw new ClosedError(`${this.#label}: used after close()`);
    if (this.#ready) return undefined;
    if (!this.#init) {
      this.#ready = true;
      return undefined;
    }
    this.#pending ??= this.#init().then(
      () => {
        this.#ready = true;
        this.#pending = undefined;
      },
      (err: unknown) => {
        this.#pending = undefined;
        throw err;
      },
    );
    return this.#pending;
  }

  /** Marks closed and runs `dispose` once (waiting for a pending init first). */
  async close(dispose: () => Promise<void>): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending) await this.#pending.catch(() => undefined);
    const wasReady = this.#ready;
    this.#ready = false;
    if (wasReady || !this.#init) await dispose();
  }
}
