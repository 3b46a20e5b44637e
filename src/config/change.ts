// What a reload changed, for the "config reloaded" log line: services added,
// removed and changed (compared by their raw text), and the mesh-wide keys
// that changed. Names are capped so a 2,000-service edit stays one short line.
import type { CompiledMesh, RawMesh } from './types.ts';

const MAX_NAMES = 20;

export interface ConfigChange {
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
  /** Up to 20 names each. */
  readonly addedNames: string[];
  readonly removedNames: string[];
  readonly changedNames: string[];
  /** Top-level keys other than `services` whose value changed (mtls, accessLog, ...). */
  readonly settings: string[];
}

export function configChange(previous: CompiledMesh, next: CompiledMesh): ConfigChange {
  const before = previous.raw.services ?? {};
  const after = next.raw.services ?? {};
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const name of Object.keys(after)) {
    if (!Object.hasOwn(before, name)) added.push(name);
    else if (JSON.stringify(before[name]) !== JSON.stringify(after[name])) changed.push(name);
  }
  for (const name of Object.keys(before)) if (!Object.hasOwn(after, name)) removed.push(name);
  const keys = new Set([...Object.keys(previous.raw), ...Object.keys(next.raw)]);
  keys.delete('services');
  const settings = [...keys].filter(
    (k) => JSON.stringify(previous.raw[k as keyof RawMesh]) !== JSON.stringify(next.raw[k as keyof RawMesh]),
  );
  return {
    added: added.length,
    removed: removed.length,
    changed: changed.length,
    addedNames: added.slice(0, MAX_NAMES),
    removedNames: removed.slice(0, MAX_NAMES),
    changedNames: changed.slice(0, MAX_NAMES),
    settings: settings.sort(),
  };
}
