// The choice of one endpoint among the eligible ones of a version. Power of
// two choices (P2C): draw two distinct endpoints at random and take the
// cheaper, which avoids herding onto one "best" endpoint that every sidecar
// would agree on; the cost is Linkerd's peak-EWMA latency × (pending + 1), or
// the pending count alone for `least-request` (Envoy's default choice count
// of two). Random source injected, so tests are exact.
import type { RandomSource } from '../route/pick.ts';
import type { PeakEwma } from './ewma.ts';

export interface Candidate {
  readonly pending: number;
  readonly ewma: PeakEwma;
}

export function pickPeakEwma<T extends Candidate>(list: readonly T[], random: RandomSource, now: number): T {
  return pickTwo(list, random, (c) => c.ewma.value(now) * (c.pending + 1));
}

export function pickLeastRequest<T extends Candidate>(list: readonly T[], random: RandomSource): T {
  return pickTwo(list, random, (c) => c.pending);
}

/** Two distinct endpoints drawn at random, the cheaper taken (the first drawn on a tie). */
function pickTwo<T>(list: readonly T[], random: RandomSource, cost: (candidate: T) => number): T {
  const n = list.length;
  if (n === 1) return list[0]!;
  const i = (random() * n) | 0;
  let j = (random() * (n - 1)) | 0;
  if (j >= i) j++;
  const a = list[i]!;
  const b = list[j]!;
  return cost(b) < cost(a) ? b : a;
}
