import { ValidationError } from "../errors.js";

/** Parses a cursor that holds an insertion sequence number (the memory stores' cursors). */
export function parseSeqCursor(cursor: string, field = "cursor"): number {
  const n = /^\d{1,15}$/.test(cursor) ? Number(cursor) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new ValidationError(field, `${field}: not a cursor this storage returned`);
  }
  return n;
}
