// mesh.yaml text → compiled snapshot, or a list of problems with file:line:col.
// The YAML is parsed once with positions kept (a CST-backed Document), so a
// schema error deep in the tree can still be reported where the user typed it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { compileMesh, CompileError } from './compile.ts';
import type { CompiledMesh, ConfigIssue, RawMesh, SidecarIdentity } from './types.ts';
// Precompiled from config/mesh.schema.json (scripts/gen-schema-validator.ts): no ajv compiler at run time.
import { validate as validateGenerated } from './mesh-schema.validate.ts';

const validate = validateGenerated as ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

export type LoadResult = { ok: true; mesh: CompiledMesh } | { ok: false; issues: ConfigIssue[] };

export function loadMeshText(text: string, file: string, self: SidecarIdentity): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined, message: string): ConfigIssue => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { file, line: pos.line, col: pos.col, message };
  };

  if (doc.errors.length > 0) {
    return { ok: false, issues: doc.errors.map((e) => at(e.pos[0], e.message.split('\n')[0]!)) };
  }
  const raw = (doc.toJS() ?? {}) as unknown;
  if (!validate(raw)) {
    const issues = dedupe(validate.errors ?? []).map((e) => at(offsetOf(doc, e), describe(e)));
    return { ok: false, issues };
  }
  try {
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    return { ok: true, mesh: compileMesh(raw as RawMesh, { hash, source: file, self }) };
  } catch (err) {
    if (err instanceof CompileError) {
      return { ok: false, issues: [at(offsetOfPath(doc, err.path), err.message)] };
    }
    throw err;
  }
}

export function loadMeshFile(file: string, self: SidecarIdentity): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, issues: [{ file, line: 0, col: 0, message: (err as Error).message }] };
  }
  return loadMeshText(text, file, self);
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/** ajv reports `oneOf`/`anyOf` failures once per branch; keep the most specific. */
function dedupe(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') continue;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out.length > 0 ? out : errors.slice(0, 1);
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'mesh' : e.instancePath.slice(1).replaceAll('/', '.');
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    case 'enum':
      return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `${where}: missing required field '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'propertyNames':
      return `${where}: invalid name '${(e.params as { propertyName: string }).propertyName}'`;
    default:
      return `${where}: ${e.message ?? 'is invalid'}`;
  }
}

function pathOf(instancePath: string): string[] {
  return instancePath === ''
    ? []
    : instancePath
        .slice(1)
        .split('/')
        .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function offsetOf(doc: Document, e: ErrorObject): number | undefined {
  const path: (string | number)[] = pathOf(e.instancePath);
  // Point at the offending key itself where the error is about a key.
  if (e.keyword === 'additionalProperties')
    path.push((e.params as { additionalProperty: string }).additionalProperty);
  if (e.keyword === 'propertyNames') path.push((e.params as { propertyName: string }).propertyName);
  return offsetOfPath(doc, path, e.keyword === 'additionalProperties' || e.keyword === 'propertyNames');
}

/** Source offset of the node at `path` (or of its key), falling back to the nearest ancestor. */
function offsetOfPath(
  doc: Document,
  path: readonly (string | number)[],
  wantKey = false,
): number | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0];
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => String((p.key as { value?: unknown })?.value ?? p.key) === String(seg),
      );
      if (pair === undefined) break;
      const key = pair.key as Node | null;
      const last = i === path.length - 1;
      if (last && wantKey && key?.range) return key.range[0];
      node = pair.value;
      offset = (pair.value as Node | null)?.range?.[0] ?? key?.range?.[0] ?? offset;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (item === undefined) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset;
}
