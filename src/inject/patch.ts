// RFC 6902 JSON Patch between two JSON documents, for the webhook's
// response. Objects are diffed key by key; an array that changed is replaced
// whole, which is valid and keeps the patch easy to read in audit logs.
import { isDeepStrictEqual } from 'node:util';

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

export function jsonPatch(before: unknown, after: unknown, path = ''): PatchOperation[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (!isPlainObject(before) || !isPlainObject(after)) return [{ op: 'replace', path, value: after }];
  const ops: PatchOperation[] = [];
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) ops.push({ op: 'remove', path: `${path}/${escapePointer(key)}` });
  }
  for (const [key, value] of Object.entries(after)) {
    const child = `${path}/${escapePointer(key)}`;
    if (!Object.hasOwn(before, key)) ops.push({ op: 'add', path: child, value });
    else ops.push(...jsonPatch(before[key], value, child));
  }
  return ops;
}

/** RFC 6901: `~` → `~0`, `/` → `~1` (annotation keys such as meshlet.dev/status). */
export function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
