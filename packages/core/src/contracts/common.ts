/** One page of a listing; pass `nextCursor` back to get the next page (`null`: no more). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Turns every `Promise<R>`-returning method of `T` into one returning `R`: the blocking twin's type. */
export type Blocking<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : T[K];
};
