import { Lifecycle } from "../internal/lifecycle.js";

/**
 * The lifecycle every storage component shares: `openStore()` runs once on first use (a
 * failed open is retried by the next call), `close()` runs `closeStore()` once, and any use
 * after close is a `ClosedError`. `await using` closes the component.
 */
export abstract class BaseComponent {
  protected readonly lifecycle: Lifecycle;

  constructor(label: string) {
    this.lifecycle = new Lifecycle(label, () => this.openStore());
  }

  protected abstract openStore(): Promise<void>;
  protected abstract closeStore(): Promise<void>;

  /** Opens the store now instead of on first use. */
  async init(): Promise<void> {
    await this.lifecycle.ensure();
  }

  async close(): Promise<void> {
    await this.lifecycle.close(() => this.closeStore());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
