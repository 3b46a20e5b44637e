// mesh.yaml text → compiled snapshot, or a list of problems with file:line:col.
// The YAML is parsed once with positions kept (a CST-backed Document), so a
// schema error deep in the tree can still be reported where the user typed it.
// Every problem found is reported in one pass: YAML syntax first (nothing else
// can be trusted then), else schema and value checks together, else compile.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { type Document, isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { CompileErrors, compileMesh } from './compile.ts';
import { endpointProblem, HOST_EXPECTED, urlHost } from './host.ts';
// Precompiled from config/mesh.schema.json (scripts/gen-schema-validator.ts): no ajv compiler at run time.
import { SCHEMA, validate as validateGenerated } from './mesh-schema.validate.ts';
import type { CompiledMesh, ConfigIssue, RawMesh, SidecarIdentity } from './types.ts';

const validate = validateGenerated as ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

type SchemaNode = {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: unknown;
  items?: unknown;
  definitions?: Record<string, SchemaNode>;
};
const schema = SCHEMA as SchemaNode;

/**
 * The schema node that governs the value at `path`, and its name: the `$ref`
 * it came through (`#/definitions/duration`) or its own path. ajv's schemaPath
 * cannot be used: it restarts at every `$ref`.
 */
function schemaAt(path: readonly string[]): { node: SchemaNode | null; name: string } {
  let node: SchemaNode | null = schema;
  let name = '#';
  for (const seg of path) {
    if (node === null) break;
    if (node.properties?.[seg] !== undefined) {
      node = node.properties[seg]!;
      name = `${name}/properties/${seg}`;
    } else if (typeof node.additionalProperties === 'object' && node.additionalProperties !== null) {
      node = node.additionalProperties as SchemaNode;
      name = `${name}/additionalProperties`;
    } else if (typeof node.items === 'object' && node.items !== null && /^[0-9]+$/.test(seg)) {
      node = node.items as SchemaNode;
      name = `${name}/items`;
    } else {
      node = null;
    }
    if (node?.$ref !== undefined) {
      name = node.$ref;
      node = schema.definitions?.[node.$ref.replace('#/definitions/', '')] ?? null;
    }
  }
  return { node, name };
}

export type LoadResult = { ok: true; mesh: CompiledMesh } | { ok: false; issues: ConfigIssue[] };
/** A text that passed every check, ready to compile (plain data: it crosses a process boundary). */
export type CheckResult = { ok: true; raw: RawMesh; hash: string } | { ok: false; issues: ConfigIssue[] };

const EMPTY =
  'the config is empty (no fields, or only comments): an empty mesh.yaml is never valid; write `services: {}` for an explicitly empty registry';

/** Parses, validates and compiles: every problem, or a snapshot ready to publish. */
export function loadMeshText(text: string, file: string, self: SidecarIdentity): LoadResult {
  const parsed = parseMesh(text, file);
  if (!parsed.ok) return parsed;
  try {
    return { ok: true, mesh: compileMesh(parsed.raw, { hash: parsed.hash, source: file, self }) };
  } catch (err) {
    if (!(err instanceof CompileErrors)) throw err;
    return {
      ok: false,
      issues: sortIssues(err.errors.map((e) => parsed.at(offsetOfPath(parsed.doc, e.path), e.message))),
    };
  }
}

/**
 * Everything loadMeshText checks, without keeping the compiled snapshot: what
 * the config checker process runs (src/config/compile-worker.ts), since a
 * snapshot (Maps, closures) cannot cross a process. Compiling a checked text
 * again cannot fail (compileMeshSteps).
 */
export function checkMeshText(text: string, file: string, self: SidecarIdentity): CheckResult {
  const loaded = loadMeshText(text, file, self);
  if (!loaded.ok) return loaded;
  return { ok: true, raw: loaded.mesh.raw, hash: loaded.mesh.hash };
}

export function loadMeshFile(file: string, self: SidecarIdentity): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, issues: [readIssue(file, err)] };
  }
  return loadMeshText(text, file, self);
}

/** A file that could not be read has no line and column: line 0, and formatIssue says so. */
export function readIssue(file: string, err: unknown): ConfigIssue {
  const e = err as NodeJS.ErrnoException;
  const why =
    e.code === 'ENOENT'
      ? 'no such file'
      : e.code === 'EACCES'
        ? 'permission denied'
        : e.code === 'EISDIR'
          ? 'is a directory, not a file'
          : e.message;
  return {
    file,
    line: 0,
    col: 0,
    message: `cannot read the config file: ${why}${e.code ? ` (${e.code})` : ''}`,
  };
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.line === 0
    ? `${issue.file}: ${issue.message}`
    : `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

type Parsed =
  | {
      ok: true;
      raw: RawMesh;
      hash: string;
      doc: Document;
      at: (offset: number | undefined, message: string) => ConfigIssue;
    }
  | { ok: false; issues: ConfigIssue[] };

function parseMesh(text: string, file: string): Parsed {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined, message: string): ConfigIssue => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { file, line: Math.max(1, pos.line), col: Math.max(1, pos.col), message };
  };

  if (doc.errors.length > 0) {
    return { ok: false, issues: sortIssues(doc.errors.map((e) => at(e.pos[0], yamlMessage(e)))) };
  }
  if (doc.contents === null) return { ok: false, issues: [at(0, EMPTY)] };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, issues: [at(0, `cannot read the YAML: ${(err as Error).message}`)] };
  }
  if (raw === null || raw === undefined) return { ok: false, issues: [at(0, EMPTY)] };
  const issues: ConfigIssue[] = [];
  const flagged = new Set<string>();
  if (!validate(raw)) {
    for (const e of tidy(validate.errors ?? [])) {
      flagged.add(e.instancePath);
      issues.push(at(offsetOf(doc, e), describe(e, raw)));
    }
  }
  for (const [path, message] of valueProblems(raw)) {
    if (!flagged.has(`/${path.join('/')}`)) issues.push(at(offsetOfPath(doc, path), message));
  }
  if (issues.length > 0) return { ok: false, issues: sortIssues(unique(issues)) };
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  // The snapshot keeps this tree: as JSON gives it (flat strings, shared object shapes) it is 2.2 MiB
  // for 2,000 services instead of 5.2 as the YAML reader built it (BENCHMARKS.md, "A 2,000-service
  // config"); a hot reload's tree already comes as JSON from the config checker.
  return { ok: true, raw: JSON.parse(JSON.stringify(raw)) as RawMesh, hash, doc, at };
}

function yamlMessage(e: { code: string; message: string }): string {
  if (e.code === 'MULTIPLE_DOCS')
    return 'more than one YAML document (a second `---`): mesh.yaml is a single document';
  if (e.code === 'DUPLICATE_KEY') return 'this key appears twice in the same mapping';
  return e.message.split('\n')[0]!;
}

/**
 * Checks on single values the schema cannot make precise (it checks the shape):
 * each runs whatever the schema said, so every problem shows in one pass.
 */
function valueProblems(raw: unknown): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  if (!isObject(raw)) return out;
  const endpoint = isObject(raw.tracing) ? raw.tracing.otlpEndpoint : undefined;
  if (typeof endpoint === 'string') {
    const problem = endpointProblem(endpoint);
    if (problem !== null) out.push([['tracing', 'otlpEndpoint'], `tracing.otlpEndpoint: ${problem}`]);
  }
  if (!isObject(raw.services)) return out;
  for (const [name, svc] of Object.entries(raw.services)) {
    if (!isObject(svc) || !isObject(svc.versions)) continue;
    for (const [version, v] of Object.entries(svc.versions)) {
      if (!isObject(v) || typeof v.host !== 'string' || urlHost(v.host) !== null) continue;
      out.push([
        ['services', name, 'versions', version, 'host'],
        `services.${name}.versions.${version}.host: expected ${HOST_EXPECTED} (got '${v.host}')`,
      ]);
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.col - b.col);
}

function unique(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = formatIssue(i);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * ajv reports `oneOf`/`anyOf` failures once per branch, and a misspelt field as
 * both "unknown" and (when it was required) "missing": keep the useful one.
 */
function tidy(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  const suggested = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const hint = suggestion(e);
    if (hint !== null) suggested.add(`${e.instancePath}|${hint}`);
  }
  for (const e of errors) {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      if (suggested.has(`${e.instancePath}|${missing}`)) continue;
    }
    // A bad map key is reported once (as `propertyNames`), not again by the pattern inside it.
    if (e.propertyName !== undefined && e.keyword !== 'propertyNames') continue;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out.length > 0 ? out : errors.slice(0, 1);
}

/** What a value should look like, by the schema rule that refused it. */
const EXPECTED: Record<string, string> = {
  '#/definitions/duration/pattern': 'a duration like `5s`, `250ms` or `1m30s`',
  '#/definitions/host/pattern': HOST_EXPECTED,
  '#/definitions/host/maxLength': HOST_EXPECTED,
  '#/definitions/host/minLength': HOST_EXPECTED,
  '#/definitions/port/minimum': 'a port number from 1 to 65535',
  '#/definitions/port/maximum': 'a port number from 1 to 65535',
  '#/definitions/port/type': 'a port number from 1 to 65535',
  '#/properties/trustDomain/pattern': 'a trust domain of lower-case letters, digits, `.`, `-` and `_`',
  '#/properties/tracing/properties/otlpEndpoint/pattern':
    'an http:// or https:// URL like `http://jaeger-collector:4318/v1/traces`',
  '#/definitions/service/properties/namespace/pattern': 'a Kubernetes namespace name like `shop`',
  '#/definitions/service/properties/serviceAccount/pattern':
    'a Kubernetes service account name like `bookinfo-reviews` (it goes into the SPIFFE ID)',
  '#/definitions/route/properties/split/additionalProperties/maximum': 'a weight from 0 to 1000000',
  '#/definitions/route/properties/split/additionalProperties/minimum': 'a weight from 0 to 1000000',
  '#/definitions/route/properties/split/additionalProperties/type': 'a weight from 0 to 1000000',
  '#/definitions/allowRule/properties/paths/items/pattern': 'a path starting with `/`',
};
const METHOD = 'an upper-case HTTP method like `GET`';

function describe(e: ErrorObject, raw: unknown): string {
  const where = e.instancePath === '' ? 'mesh' : e.instancePath.slice(1).replaceAll('/', '.');
  const rule = `${schemaAt(pathOf(e.instancePath)).name}/${e.keyword}`;
  const expected = EXPECTED[rule] ?? (/\/method(\/|$)/.test(e.instancePath) ? METHOD : undefined);
  if (expected !== undefined) {
    const value = valueAt(raw, pathOf(e.instancePath));
    const got = typeof value === 'string' || typeof value === 'number' ? ` (got '${String(value)}')` : '';
    return `${where}: expected ${expected}${got}`;
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      const hint = suggestion(e);
      return `${where}: unknown field '${field}'${hint === null ? '' : `: did you mean \`${hint}\`?`}`;
    }
    case 'enum':
      return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `${where}: missing required field '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'propertyNames':
      return `${where}: invalid name '${(e.params as { propertyName: string }).propertyName}': ${nameRule(e.instancePath)}`;
    case 'minProperties':
      if (e.instancePath === '') return EMPTY;
      return `${where}: ${e.message ?? 'is invalid'}`;
    case 'type':
      if (e.instancePath === '')
        return 'mesh: expected a mapping of fields (trustDomain, mtls, services, ...)';
      return `${where}: ${e.message ?? 'is invalid'}`;
    default:
      return `${where}: ${e.message ?? 'is invalid'}`;
  }
}

function nameRule(instancePath: string): string {
  if (instancePath.endsWith('/headers')) return 'a header name is letters, digits and `-`';
  if (instancePath.endsWith('/versions'))
    return 'a version name starts with a letter or digit, then letters, digits, `-`, `_` or `.`';
  return 'a service name is a DNS label: lower-case letters, digits and `-`, like `reviews`';
}

/** The known field closest to a misspelt one (edit distance, a swap counting once), if close enough. */
function suggestion(e: ErrorObject): string | null {
  const field = (e.params as { additionalProperty: string }).additionalProperty;
  const known = Object.keys(schemaAt(pathOf(e.instancePath)).node?.properties ?? {});
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.min(2, Math.floor(field.length / 3)));
  for (const k of known) {
    const d = editDistance(field.toLowerCase(), k.toLowerCase());
    if (d <= bestDistance && (best === null || d < editDistance(field.toLowerCase(), best.toLowerCase()))) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...new Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

function valueAt(raw: unknown, path: readonly string[]): unknown {
  let v = raw;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
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
export function offsetOfPath(
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
