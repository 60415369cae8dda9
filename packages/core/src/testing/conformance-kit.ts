import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OmniQErrorCode } from "../errors.js";

/** A value or a promise of it: what a method of an async component or its blocking twin returns. */
export type Awaitable<T> = T | Promise<T>;

/**
 * The methods of `T` returning either a promise or a plain value. Both an async component
 * and its blocking twin (`Blocking<T>`) fit, so each conformance case is written once, with
 * `await` (a no-op on plain values), and runs against both.
 */
export type AsyncOrBlocking<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R>
    ? (...args: A) => Awaitable<R>
    : T[K];
};

/** One conformance case: an assertion-bearing function over a fresh store. */
export interface ConformanceCase<S> {
  name: string;
  run: (store: S) => Promise<void>;
}

/** Cases grouped under one `describe`. */
export interface CaseGroup<S> {
  name: string;
  cases: ConformanceCase<S>[];
}

const CODES: Record<string, OmniQErrorCode> = {
  ValidationError: "validation",
  NotFoundError: "not_found",
  ConflictError: "conflict",
  LeaseLostError: "lease_lost",
  IllegalTransitionError: "illegal_transition",
  ClosedError: "closed",
};

/** Runs `fn` and returns what it threw (synchronously or as a rejection); fails when it did not throw. */
export async function caught(fn: () => unknown): Promise<Error & Record<string, unknown>> {
  let result: unknown;
  try {
    result = await fn();
  } catch (err) {
    expect(err, "expected an Error instance").toBeInstanceOf(Error);
    return err as Error & Record<string, unknown>;
  }
  throw new Error(`expected an error, but the call returned ${describeValue(result)}`);
}

/**
 * Asserts that `fn` throws the OmniQ error `name` (checked by `name` and `code`, so an error
 * rebuilt on the far side of a thread or process boundary passes too) with `props`.
 */
export async function expectError(
  fn: () => unknown,
  name: keyof typeof CODES,
  props: Record<string, unknown> = {},
): Promise<Error & Record<string, unknown>> {
  const err = await caught(fn);
  expect(err.name, `error message: ${err.message}`).toBe(name);
  expect(err.code).toBe(CODES[name]);
  expect(err).toMatchObject(props);
  return err;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === "object" ? "an object" : typeof value;
}

/** A time `ms` from now. */
export const inMs = (ms: number): Date => new Date(Date.now() + ms);

/** Sorted copy of ids, for order-insensitive comparisons. */
export const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

/** Follows `nextCursor` until the end; fails on a loop. */
export async function collectPages<T>(
  fetch: (cursor: string | undefined) => Awaitable<{ items: T[]; nextCursor: string | null }>,
  maxPages = 1000,
): Promise<{ items: T[]; pages: T[][] }> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await fetch(cursor);
    pages.push(page.items);
    if (page.nextCursor === null) return { items: pages.flat(), pages };
    expect(typeof page.nextCursor, "nextCursor must be a string or null").toBe("string");
    cursor = page.nextCursor;
  }
  throw new Error(`paging did not end after ${maxPages} pages`);
}

/**
 * Registers `groups` with vitest. Each `it` gets a fresh store from `create()`, closed after it.
 */
export function registerCases<S extends { close(): unknown }>(
  groups: readonly CaseGroup<S>[],
  create: () => Awaitable<S>,
): void {
  let store: S | undefined;
  beforeEach(async () => {
    store = await create();
  });
  afterEach(async () => {
    const s = store;
    store = undefined;
    if (s) await s.close();
  });
  for (const group of groups) {
    describe(group.name, () => {
      for (const c of group.cases) {
        it(c.name, async () => {
          if (!store) throw new Error("conformance: create() did not produce a store");
          await c.run(store);
        });
      }
    });
  }
}
