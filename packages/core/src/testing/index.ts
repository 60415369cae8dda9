/**
 * `@omniq/core/testing`: the conformance suites every backend runs, and the helpers they use.
 * Import it from a backend's tests only (it imports vitest).
 */
export * from "./conformance.js";
export * from "./runtime-suite.js";
