/** Edit distance (Levenshtein) between two short strings. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The closest known name to `input` when it looks like a typo of it, else `undefined`.
 * `maxDistance` defaults to a third of the input's length (at least 2).
 */
export function closestMatch(
  input: string,
  known: readonly string[],
  maxDistance = Math.max(2, Math.floor(input.length / 3)),
): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= maxDistance ? best : undefined;
}

/** `; did you mean "x"?` or an empty string. */
export function didYouMean(input: string, known: readonly string[]): string {
  const match = closestMatch(input, known);
  return match === undefined ? "" : `; did you mean "${match}"?`;
}
