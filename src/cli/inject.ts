// `meshlet inject -f deploy.yaml [-o out.yaml]`: prints the manifests with
// the sidecar injected, like `istioctl kube-inject`. `-f -` reads stdin.
import { readFileSync, writeFileSync } from 'node:fs';
import { isMap, LineCounter, parseAllDocuments, visit } from 'yaml';
import { InjectError } from '../inject/annotations.ts';
import { injectManifests } from '../inject/manifest.ts';
import { INJECT_FLAGS, INJECT_FLAGS_HELP, injectOptionsFrom } from '../inject/options.ts';
import { failure, runCommand, UsageError } from './args.ts';

export const USAGE = `usage: meshlet inject -f FILE|- [-o FILE] [options]

Every workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
CronJob) is injected unless annotated meshlet.dev/inject: "false"; other
documents pass through unchanged. Warnings go to stderr. Helm charts must be
rendered first (helm template); an unrendered template is refused.

  -f, --filename FILE          manifests to read; - for stdin (required)
  -o, --output FILE            write here instead of stdout
  -h, --help                   this text

${INJECT_FLAGS_HELP}
examples:
  meshlet inject -f deploy.yaml | kubectl apply -f -
  helm template my-release ./chart | meshlet inject -f - -o injected.yaml
  meshlet inject -f deploy.yaml --no-native-sidecar --proxy-image registry.local/meshlet:dev
`;

export const OPTIONS = {
  filename: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  ...INJECT_FLAGS,
} as const;

/**
 * Where a Helm template expression sits in YAML structure (`name: {{ .Release.Name }}`,
 * `{{- if ... }}` lines): YAML reads those as flow mappings, so injecting would
 * print nonsense. `{{` inside a quoted or block string is a value (an alert
 * annotation, a config file) and is left alone.
 */
export function unrenderedTemplate(text: string): { line: number; text: string } | null {
  if (!text.includes('{{')) return null;
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const lines = text.split('\n');
  const at = (offset: number) => {
    const { line } = lineCounter.linePos(offset);
    return { line, text: lines[line - 1]!.trim() };
  };
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    // A template that breaks YAML altogether: name the first line with `{{`.
    if (doc.errors.length > 0) {
      const start = doc.range[0];
      const end = doc.range[2];
      const offset = text.indexOf('{{', start);
      if (offset !== -1 && offset < end) return at(offset);
      continue;
    }
    let found: number | null = null;
    visit(doc, (_key, node) => {
      if (isMap(node) && node.flow === true && node.range && text.startsWith('{{', node.range[0])) {
        found = node.range[0];
        return visit.BREAK;
      }
      return undefined;
    });
    if (found !== null) return at(found);
  }
  return null;
}

export function run(argv: string[]): Promise<number> {
  return runCommand('inject', argv, { options: OPTIONS, usage: USAGE, allowNegative: true }, (args) => {
    const { values } = args;
    if (values.filename === undefined) throw new UsageError('-f is required (a file, or - for stdin)');
    const source = values.filename === '-' ? '<stdin>' : values.filename;
    try {
      const options = injectOptionsFrom(values);
      const input = readFileSync(values.filename === '-' ? 0 : values.filename, 'utf8');
      const template = unrenderedTemplate(input);
      if (template !== null) {
        return failure(
          'inject',
          `${source}:${template.line}: an unrendered Helm template ('${template.text}'); render it first: helm template RELEASE CHART | meshlet inject -f -`,
        );
      }
      const result = injectManifests(input, options);
      for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
      if (values.output === undefined) process.stdout.write(result.output);
      else writeFileSync(values.output, result.output);
      return 0;
    } catch (err) {
      const message = err instanceof InjectError || err instanceof Error ? err.message : String(err);
      return failure('inject', message);
    }
  });
}
