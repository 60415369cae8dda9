import { describe, expect, it } from "vitest";
import {
  LeaseLostError,
  OmniQError,
  TimeoutError,
  UnrecoverableError,
  ValidationError,
} from "../dist/errors.js";
import { rebuildError, serializeError } from "../dist/pools/error-transfer.js";
import { WorkerCrashedError } from "../dist/pools/index.js";

/** Through a real structured clone, as between threads. */
const cross = (error: unknown) => rebuildError(structuredClone(serializeError(error)));

describe("error transfer across a pool boundary", () => {
  it("rebuilds OmniQ errors as their class with their fields", () => {
    const error = cross(new ValidationError("args[0].when", "args[0].when: bad date"));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toBeInstanceOf(OmniQError);
    expect(error).toMatchObject({
      name: "ValidationError",
      code: "validation",
      field: "args[0].when",
      message: "args[0].when: bad date",
    });
    const lease = cross(new LeaseLostError("gone", "t-1"));
    expect(lease).toBeInstanceOf(LeaseLostError);
    expect(lease).toMatchObject({ taskId: "t-1", code: "lease_lost" });
  });

  it("recognises an UnrecoverableError by name even from another copy of the class", () => {
    class UnrecoverableErrorCopy extends Error {
      constructor(message: string) {
        super(message);
        this.name = "UnrecoverableError";
      }
    }
    const error = cross(new UnrecoverableErrorCopy("stop"));
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.message).toBe("stop");
  });

  it("keeps the original stack, code and cause chain; unknown names stay plain Errors", () => {
    const original = Object.assign(new Error("outer", { cause: new TypeError("inner") }), {
      name: "HttpError",
      code: 503,
      status: "unavailable",
      fn: () => 1,
    });
    const error = cross(original) as Error & Record<string, unknown>;
    expect(error).toBeInstanceOf(Error);
    expect(error.constructor).toBe(Error);
    expect(error).toMatchObject({ name: "HttpError", code: 503, status: "unavailable" });
    expect(error.fn).toBeUndefined();
    expect(error.stack).toBe(original.stack);
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(Object.prototype.toString.call(error)).toBe("[object Error]");
  });

  it("carries DOMException abort reasons and non-Error values", () => {
    const controller = new AbortController();
    controller.abort();
    const abort = cross(controller.signal.reason);
    expect(abort).toBeInstanceOf(DOMException);
    expect(abort.name).toBe("AbortError");

    // DOMException's "TimeoutError" must not turn into OmniQ's TimeoutError
    const domTimeout = cross(new DOMException("signal timed out", "TimeoutError"));
    expect(domTimeout).toBeInstanceOf(DOMException);
    expect(domTimeout).not.toBeInstanceOf(TimeoutError);

    const thrown = cross({ reason: "teapot", status: 418 }) as Error & { thrown?: unknown };
    expect(thrown.message).toBe('{"reason":"teapot","status":418}');
    expect(thrown.thrown).toEqual({ reason: "teapot", status: 418 });
    expect(cross("plain string").message).toBe("plain string");
  });

  it("WorkerCrashedError is a retryable backend error of kind crash", () => {
    const error = new WorkerCrashedError("x", { exitCode: null, signal: "SIGKILL" });
    expect(error).toBeInstanceOf(OmniQError);
    expect(error).toMatchObject({
      name: "WorkerCrashedError",
      code: "backend",
      kind: "crash",
      signal: "SIGKILL",
    });
  });
});
