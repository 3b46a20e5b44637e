// `npm run soak`: the long soak (default 10 minutes at 1,000 req/s through the
// two-sidecar mTLS path). SOAK_SECONDS and SOAK_RATE change the length and the
// rate. Exits 1 when RSS or heap drift by 10 % or more after warm-up, or when
// a request is lost or answered unexpectedly. See docs/testing.md.
import { runSoak } from './soak.ts';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
const rate = Number(process.env.SOAK_RATE ?? 1000);
// warm-up: pools, TLS sessions, JIT and V8's heap sizing settle in the first minute or so
const warmupSeconds = Math.min(60, Math.round(seconds / 4));
const windowSeconds = Math.max(5, Math.min(60, Math.round((seconds - warmupSeconds) / 5)));
const LIMIT = 0.1;

const result = await runSoak({ seconds, rate, warmupSeconds, windowSeconds, reloadEverySeconds: 3 });
const problems: string[] = [];
for (const f of result.sidecars) {
  if (!(f.rssDrift < LIMIT))
    problems.push(`${f.name}: RSS drift ${(f.rssDrift * 100).toFixed(1)} % after warm-up`);
  if (!(f.heapDrift < LIMIT))
    problems.push(`${f.name}: heap drift ${(f.heapDrift * 100).toFixed(1)} % after warm-up`);
  if (!f.heapByFloors) {
    problems.push(
      `${f.name}: no full collection in a half after warm-up: the heap drift cannot be judged (run longer)`,
    );
  }
}
if (result.lost > 0) problems.push(`${result.lost} requests lost`);
if (result.unexpected > 0) problems.push(`${result.unexpected} unexpected answers`);
if (result.reloads.failure > 0) problems.push(`${result.reloads.failure} reloads rejected`);
if (result.reloads.success === 0) problems.push('no reload was applied');
if (result.behind > result.sent * 0.01)
  problems.push(`the generator fell behind the rate (${result.behind} sends late)`);
if (problems.length > 0) {
  console.error(`[soak] FAILED:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('[soak] passed');
