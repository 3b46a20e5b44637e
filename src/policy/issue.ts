// What every policy compiler returns: an immutable compiled value, or the
// problems found, each with the path of the offending key relative to the
// option (`['abort', 'percent']`) so the config compiler can prefix the
// route's own path and report file:line:col.

export interface PolicyIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type Compiled<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly PolicyIssue[] };

export function compiled<T>(value: T, issues: readonly PolicyIssue[]): Compiled<T> {
  return issues.length === 0 ? { ok: true, value } : { ok: false, issues };
}

/** Checks a percentage (0..100, fractions allowed); a message when it is not one. */
export function percentProblem(value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    return `percent must be a number from 0 to 100 (fractions allowed, e.g. 0.5), got ${JSON.stringify(value)}`;
  }
  return null;
}

/** The random-source threshold a percentage becomes: inject when `random() < threshold`. */
export function thresholdOf(percent: number): number {
  return percent / 100;
}
