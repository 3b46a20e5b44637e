// Durations as written in mesh.yaml ("250ms", "5s", "1m30s") → milliseconds.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;

export function parseDuration(text: string): number {
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(PART)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== text.length) throw new Error(`invalid duration '${text}'`);
  return Math.round(total);
}
