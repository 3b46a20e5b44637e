// `meshlet diff OLD NEW`: what an edit changes in effect, for review before it
// is applied. Both sides are loaded as the sidecar loads them (any artefact
// validate reads); the comparison is src/config/diff.ts.
import { readFileSync } from 'node:fs';
import { meshSourcesOf } from '../config/artefacts.ts';
import { type Change, diffMeshes } from '../config/diff.ts';
import { loadMeshText, readIssue } from '../config/load.ts';
import type { CompiledMesh } from '../config/types.ts';
import { runCommand, UsageError } from './args.ts';
import { identityFromEnv } from './env.ts';
import { flow } from './explain.ts';

export const USAGE = `usage: meshlet diff [-o text|json] OLD NEW

Shows what changes in effect between two mesh configs: services, versions and
their hosts, routes (added, removed, moved, match conditions), each version's
share of a route (old -> new), allow rules, timeouts, retries and the route
options (fault, mirror, headers, redirect, rewrite, guard, rate limit). Both
are compiled first, so spellings that mean the same (5s and 5000ms, weights
1:1 and 50:50) are no change. OLD and NEW may each be a mesh.yaml, a ConfigMap
manifest or Helm values (as validate reads them); - reads one of them from
stdin.

  -o, --output FORMAT   text (default) or json (an array of {scope, what,
                        kind, old, new})
  -h, --help            this text

exit status (as diff's): 0 no change, 1 changed, 2 a config could not be
loaded or a usage error.

examples:
  meshlet diff mesh.yaml mesh-canary.yaml
  kubectl get configmap meshlet-mesh -o yaml | meshlet diff - deploy/mesh-configmap.yaml
  meshlet diff -o json old/values.yaml new/values.yaml
`;

export const OPTIONS = {
  output: { type: 'string', short: 'o' },
} as const;

const EXIT_SAME = 0;
const EXIT_CHANGED = 1;
const EXIT_TROUBLE = 2;

function load(path: string): CompiledMesh | string {
  const file = path === '-' ? '<stdin>' : path;
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    return `${file}: ${readIssue(file, err).message}`;
  }
  const found = meshSourcesOf(text);
  if (!found.ok) return `${file}:${found.position.line}:${found.position.col}: ${found.message}`;
  if (found.sources.length !== 1)
    return `${file} holds ${found.sources.length} mesh configs (${found.sources.map((s) => s.label).join(', ')}); give one per file`;
  const source = found.sources[0]!;
  const loaded = loadMeshText(source.text, file, identityFromEnv());
  if (!loaded.ok) {
    const issue = loaded.issues[0]!;
    const pos = issue.line === 0 ? { line: 0, col: 0 } : source.position(issue.line, issue.col);
    const more =
      loaded.issues.length > 1 ? ` (and ${loaded.issues.length - 1} more: meshlet validate ${path})` : '';
    return `${file}:${pos.line}:${pos.col}: ${issue.message}${more}`;
  }
  return loaded.mesh;
}

export function run(argv: string[]): Promise<number> {
  return runCommand(
    'diff',
    argv,
    { options: OPTIONS, usage: USAGE, maxPositionals: 2 },
    ({ values, positionals }) => {
      const format = values.output ?? 'text';
      if (format !== 'text' && format !== 'json')
        throw new UsageError(`--output must be 'text' or 'json', not '${format}'`);
      if (positionals.length !== 2) throw new UsageError('name two configs: OLD NEW');
      if (positionals[0] === '-' && positionals[1] === '-')
        throw new UsageError("stdin ('-') can be read once");
      const sides = positionals.map(load);
      const trouble = sides.filter((s): s is string => typeof s === 'string');
      if (trouble.length > 0) {
        for (const t of trouble) process.stderr.write(`meshlet diff: ${t}\n`);
        return EXIT_TROUBLE;
      }
      const changes = diffMeshes(sides[0] as CompiledMesh, sides[1] as CompiledMesh);
      process.stdout.write(
        format === 'json' ? `${JSON.stringify(changes, null, 2)}\n` : formatChanges(changes),
      );
      return changes.length === 0 ? EXIT_SAME : EXIT_CHANGED;
    },
  );
}

const SIGN = { added: '+', removed: '-', changed: '~' } as const;

function value(v: unknown): string {
  return typeof v === 'string' ? v : flow(v);
}

/** A split's change, version by version: `v1 95% -> 80%, v2 5% -> 20%`. */
function splitText(a: Record<string, number>, b: Record<string, number>): string {
  return Object.keys(a)
    .map((v) => (a[v] === b[v] ? `${v} ${a[v]}%` : `${v} ${a[v]}% -> ${b[v]}%`))
    .join(', ');
}

/** The changes for people: grouped by where they are, one line each, signed like a diff. */
export function formatChanges(changes: readonly Change[]): string {
  if (changes.length === 0) return 'no effective change\n';
  const out: string[] = [];
  let scope = '';
  for (const c of changes) {
    if (c.scope !== scope) {
      scope = c.scope;
      out.push(scope);
    }
    const sign = SIGN[c.kind];
    let line: string;
    if (c.what === 'split' && c.kind === 'changed')
      line = `split ${splitText(c.old as Record<string, number>, c.new as Record<string, number>)}`;
    else if (c.kind === 'changed') line = `${c.what}: ${value(c.old)} -> ${value(c.new)}`;
    else line = `${c.what}: ${value(c.kind === 'added' ? c.new : c.old)}`;
    out.push(`  ${sign} ${line}`);
  }
  const n = changes.length;
  out.push(`${n} change${n === 1 ? '' : 's'}`);
  return `${out.join('\n')}\n`;
}
