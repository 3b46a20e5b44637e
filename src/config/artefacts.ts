// The mesh config inside the files people actually have: a mesh.yaml, a
// Kubernetes ConfigMap manifest with a `mesh.yaml` key (one or more, among
// other documents), or Helm values with a `mesh:` key (docs/cli.md). Each
// embedded config comes with a map from its own line:col to the position in
// the file, so a problem is reported where the user would edit it.
import {
  type Document,
  isMap,
  isScalar,
  LineCounter,
  type Node,
  type Pair,
  parseAllDocuments,
  parseDocument,
  Scalar,
} from 'yaml';
import { offsetOfPath } from './load.ts';
import { SCHEMA } from './mesh-schema.validate.ts';

/** mesh.yaml's own top-level fields: a file with any of them is a mesh.yaml, whatever else it has. */
const MESH_FIELDS = new Set(Object.keys((SCHEMA as { properties: Record<string, unknown> }).properties));

export type ArtefactKind = 'mesh' | 'configmap' | 'helm-values';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface MeshSource {
  readonly kind: ArtefactKind;
  /** The mesh config text as a sidecar reads it (for Helm values, the `mesh:` subtree, dedented). */
  readonly text: string;
  /** Names the embedded config in messages, e.g. `ConfigMap meshlet-mesh`; empty for a plain mesh.yaml. */
  readonly label: string;
  /** Position in the file of a 1-based line:col of `text`. */
  position(line: number, col: number): Position & { readonly exact: boolean };
}

export type ArtefactResult =
  | { readonly ok: true; readonly sources: readonly MeshSource[] }
  | { readonly ok: false; readonly position: Position; readonly message: string };

type Doc = Document.Parsed;

const plain = (text: string): MeshSource => ({
  kind: 'mesh',
  text,
  label: '',
  position: (line, col) => ({ line, col, exact: true }),
});

const get = (map: unknown, key: string): Pair | undefined =>
  isMap(map) ? map.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;

const scalarString = (node: unknown): string | undefined =>
  isScalar(node) && typeof node.value === 'string' ? node.value : undefined;

/** Finds the mesh configs in `text`; anything that is not a ConfigMap or Helm values is a plain mesh.yaml. */
export function meshSourcesOf(text: string): ArtefactResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  // Broken YAML, or several documents that are not Kubernetes objects: the
  // loader reports it as a mesh.yaml, with its own messages.
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0))
    return { ok: true, sources: [plain(text)] };
  const at = (offset: number): Position => lineCounter.linePos(offset);

  const kubeObjects = docs.filter((d) => scalarString(get(d.contents, 'kind')?.value) !== undefined);
  if (kubeObjects.length > 0 && kubeObjects.every((d) => get(d.contents, 'apiVersion') !== undefined)) {
    const sources: MeshSource[] = [];
    for (const doc of kubeObjects) {
      if (scalarString(get(doc.contents, 'kind')?.value) !== 'ConfigMap') continue;
      const entry = get(get(doc.contents, 'data')?.value, 'mesh.yaml');
      if (entry === undefined) continue;
      const name = scalarString(get(get(doc.contents, 'metadata')?.value, 'name')?.value) ?? '(unnamed)';
      const value = entry.value as Node | null;
      if (!isScalar(value) || typeof value.value !== 'string') {
        const pos = at((value ?? (entry.key as Node)).range?.[0] ?? 0);
        return {
          ok: false,
          position: pos,
          message: `ConfigMap ${name}: data.mesh.yaml must be a string (use |)`,
        };
      }
      sources.push(embeddedString(text, value as Scalar<string>, `ConfigMap ${name}`, 'configmap', at));
    }
    if (sources.length === 0) {
      return {
        ok: false,
        position: at(kubeObjects[0]!.range[0]),
        message: 'no ConfigMap with a `mesh.yaml` key under `data` in these Kubernetes manifests',
      };
    }
    return { ok: true, sources };
  }

  // Helm values have `mesh:` among the chart's keys; a mesh.yaml with a stray
  // `mesh:` key stays a mesh.yaml, so validate refuses it as the sidecar would.
  const top = docs.length === 1 ? docs[0]!.contents : null;
  const mesh = get(top, 'mesh');
  if (
    mesh !== undefined &&
    isMap(top) &&
    !top.items.some((p) => isScalar(p.key) && MESH_FIELDS.has(String(p.key.value)))
  ) {
    return helmValues(text, docs[0]!, mesh, at);
  }
  return { ok: true, sources: [plain(text)] };
}

function helmValues(text: string, doc: Doc, mesh: Pair, at: (offset: number) => Position): ArtefactResult {
  const value = mesh.value as Node | null;
  if (isScalar(value) && typeof value.value === 'string') {
    return {
      ok: true,
      sources: [embeddedString(text, value as Scalar<string>, 'Helm values mesh', 'helm-values', at)],
    };
  }
  if (!isMap(value) || value.range === undefined || value.range === null) {
    const pos = at((value?.range ?? (mesh.key as Node).range)?.[0] ?? doc.range?.[0] ?? 0);
    return { ok: false, position: pos, message: 'Helm values: `mesh` must hold the mesh config (a map)' };
  }
  // The subtree, cut out line by line and shifted left by its own indentation,
  // is itself a mesh.yaml whose lines map one to one onto the file's.
  const start = at(value.range[0]);
  const end = at(value.range[1]);
  const lines = text.split('\n');
  const removed: number[] = [];
  const out: string[] = [];
  // The range ends where the next key starts: a line that begins there is not ours.
  const last = end.col === 1 ? end.line - 1 : end.line;
  for (let n = start.line; n <= last && n <= lines.length; n++) {
    const line = lines[n - 1]!;
    const cut =
      n === start.line ? start.col - 1 : Math.min(start.col - 1, line.length - line.trimStart().length);
    removed.push(cut);
    out.push(line.slice(cut));
  }
  return {
    ok: true,
    sources: [
      {
        kind: 'helm-values',
        text: `${out.join('\n')}\n`,
        label: 'Helm values mesh',
        position: (line, col) => ({
          line: start.line + line - 1,
          col: col + (removed[line - 1] ?? removed[0]!),
          exact: true,
        }),
      },
    ],
  };
}

/**
 * A config held as a string. A literal block (`|`) keeps lines one to one,
 * shifted by its indentation; any other string style (quoted, folded) maps
 * every position to the start of the string, marked inexact.
 */
function embeddedString(
  text: string,
  node: Scalar<string>,
  label: string,
  kind: ArtefactKind,
  at: (offset: number) => Position,
): MeshSource {
  const start = node.range?.[0] ?? 0;
  const head = at(start);
  if (node.type === Scalar.BLOCK_LITERAL) {
    const lines = text.split('\n');
    const end = at(node.range?.[1] ?? start).line;
    let indent = 0;
    for (let n = head.line + 1; n <= end && n <= lines.length; n++) {
      const line = lines[n - 1]!;
      if (line.trim() === '') continue;
      indent = line.length - line.trimStart().length;
      break;
    }
    return {
      kind,
      text: node.value,
      label,
      position: (line, col) => ({ line: head.line + line, col: col + indent, exact: true }),
    };
  }
  return { kind, text: node.value, label, position: () => ({ ...head, exact: false }) };
}

/**
 * Line and column of the node at `path` in a mesh config text (its key when
 * `key` is set), or of the nearest ancestor that exists.
 */
export function positionOfPath(text: string, path: readonly (string | number)[], key = false): Position {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return lineCounter.linePos(offsetOfPath(doc, path, key) ?? 0);
}
