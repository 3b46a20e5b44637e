// `meshlet validate PATH...`: check mesh configs the way the sidecar would
// load them, in the files people have (mesh.yaml, ConfigMap manifests, Helm
// values, stdin), with every error and warning at the line to edit.
import { readFileSync } from 'node:fs';
import { meshSourcesOf, positionOfPath } from '../config/artefacts.ts';
import { lintMesh } from '../config/lint.ts';
import { loadMeshText, readIssue } from '../config/load.ts';
import { runCommand, UsageError } from './args.ts';
import { identityFromEnv } from './env.ts';

export const USAGE = `usage: meshlet validate [-o text|json] [--strict] PATH...

Checks mesh configs as the sidecar would load them. PATH is a mesh.yaml, a
Kubernetes manifest with a ConfigMap holding a \`mesh.yaml\` key, Helm values
with a \`mesh:\` key, or - for stdin; give several to check them all. Every
error is reported with file:line:col in that file and the line itself; warnings
flag configs that load but are almost certainly wrong (a service without a
default route, a route that can never match, an allow rule naming an unknown
service).

  -o, --output FORMAT   text (default; problems on stderr) or json (an array of
                        {file, line, col, severity, message} on stdout, for CI)
  --strict              exit 1 on warnings too
  -h, --help            this text

exit status: 0 valid (warnings allowed unless --strict), 1 an error (or a
warning with --strict), 2 a usage error.

examples:
  meshlet validate mesh.yaml
  meshlet validate charts/meshlet/values.yaml deploy/mesh-configmap.yaml
  kubectl get configmap meshlet-mesh -o yaml | meshlet validate -
  meshlet validate -o json --strict mesh.yaml > findings.json
`;

export const OPTIONS = {
  output: { type: 'string', short: 'o' },
  strict: { type: 'boolean' },
} as const;

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

interface FileReport {
  readonly file: string;
  readonly text: string;
  readonly findings: Finding[];
  /** One line per config found and loaded, for the text output. */
  readonly ok: string[];
}

const STDIN = '<stdin>';

/** Every error and warning of one file's text, at positions in that file. */
export function validateText(text: string, file: string, env = process.env): FileReport {
  const findings: Finding[] = [];
  const ok: string[] = [];
  const found = meshSourcesOf(text);
  if (!found.ok) {
    const { line, col } = found.position;
    findings.push({ file, line, col, severity: 'error', message: found.message });
    return { file, text, findings, ok };
  }
  const self = identityFromEnv(env);
  for (const source of found.sources) {
    const place = (line: number, col: number, severity: Finding['severity'], message: string): Finding => {
      if (line === 0) return { file, line, col, severity, message };
      const pos = source.position(line, col);
      const note = pos.exact ? '' : ` (line ${line}:${col} of the embedded mesh.yaml)`;
      return { file, line: pos.line, col: pos.col, severity, message: `${message}${note}` };
    };
    const loaded = loadMeshText(source.text, file, self);
    if (!loaded.ok) {
      for (const issue of loaded.issues) {
        findings.push(place(issue.line, issue.col, 'error', issue.message));
      }
      continue;
    }
    const warnings = lintMesh(loaded.mesh);
    for (const w of warnings) {
      const pos = positionOfPath(source.text, w.path, typeof w.path.at(-1) === 'string');
      findings.push(place(pos.line, pos.col, 'warning', w.message));
    }
    const what = source.label === '' ? '' : `${source.label}: `;
    // A Helm subtree is re-rendered by the chart, so its hash is not the deployed file's.
    const hash = source.kind === 'helm-values' ? '' : `hash ${loaded.mesh.hash}, `;
    const n = warnings.length;
    ok.push(
      `${file}: ${what}ok (${hash}${loaded.mesh.services.size} services)${n === 0 ? '' : `, ${n} warning${n === 1 ? '' : 's'}`}`,
    );
  }
  findings.sort((a, b) => a.line - b.line || a.col - b.col);
  return { file, text, findings, ok };
}

/** `file:line:col: [warning: ]message`, then the line with a caret under the column. */
export function formatFinding(f: Finding, text: string): string {
  const head =
    f.line === 0
      ? `${f.file}: ${f.message}`
      : `${f.file}:${f.line}:${f.col}: ${f.severity === 'warning' ? 'warning: ' : ''}${f.message}`;
  const source = f.line === 0 ? undefined : text.split('\n')[f.line - 1];
  if (source === undefined) return `${head}\n`;
  const gutter = String(f.line);
  const pad = ' '.repeat(gutter.length);
  // Tabs stay tabs under the caret so it lines up whatever the tab width.
  const lead = source.slice(0, Math.max(0, f.col - 1)).replace(/[^\t]/g, ' ');
  return `${head}\n ${gutter} | ${source.trimEnd()}\n ${pad} | ${lead}^\n`;
}

function read(path: string): { text: string } | { finding: Finding } {
  try {
    return { text: readFileSync(path === '-' ? 0 : path, 'utf8') };
  } catch (err) {
    const { file, line, col, message } = readIssue(path === '-' ? STDIN : path, err);
    return { finding: { file, line, col, severity: 'error', message } };
  }
}

export function run(argv: string[]): Promise<number> {
  return runCommand(
    'validate',
    argv,
    { options: OPTIONS, usage: USAGE, maxPositionals: Number.POSITIVE_INFINITY },
    ({ values, positionals }) => {
      const format = values.output ?? 'text';
      if (format !== 'text' && format !== 'json') {
        throw new UsageError(`--output must be 'text' or 'json', not '${format}'`);
      }
      if (positionals.length === 0) throw new UsageError('name at least one file (or - for stdin)');
      if (positionals.filter((p) => p === '-').length > 1)
        throw new UsageError("stdin ('-') can be read once");

      const reports: FileReport[] = [];
      for (const path of positionals) {
        const input = read(path);
        const file = path === '-' ? STDIN : path;
        reports.push(
          'text' in input
            ? validateText(input.text, file)
            : { file, text: '', findings: [input.finding], ok: [] },
        );
      }
      const findings = reports.flatMap((r) => r.findings);
      const errors = findings.filter((f) => f.severity === 'error').length;
      const warnings = findings.length - errors;

      if (format === 'json') {
        process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
      } else {
        for (const report of reports) {
          for (const f of report.findings) process.stderr.write(formatFinding(f, report.text));
          for (const line of report.ok) process.stdout.write(`${line}\n`);
        }
        if (reports.length > 1 || errors + warnings > 1) {
          process.stderr.write(
            `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${reports.length} file${reports.length === 1 ? '' : 's'}\n`,
          );
        }
      }
      return errors > 0 || (values.strict === true && warnings > 0) ? 1 : 0;
    },
  );
}
