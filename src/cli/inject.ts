// `meshlet inject -f deploy.yaml [-o out.yaml]`: prints the manifests with
// the sidecar injected, like `istioctl kube-inject`. `-f -` reads stdin.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InjectError } from '../inject/annotations.ts';
import { injectManifests } from '../inject/manifest.ts';
import { INJECT_FLAGS, INJECT_FLAGS_HELP, injectOptionsFrom } from '../inject/options.ts';

const USAGE = `usage: meshlet inject -f FILE|- [-o FILE] [options]

Every workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
CronJob) is injected unless annotated meshlet.dev/inject: "false"; other
documents pass through unchanged. Warnings go to stderr.

${INJECT_FLAGS_HELP}`;

export async function run(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    process.stderr.write(`meshlet inject: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.filename === undefined) {
    process.stderr.write(`meshlet inject: -f is required\n\n${USAGE}`);
    return 2;
  }
  try {
    const options = injectOptionsFrom(values);
    const input = readFileSync(values.filename === '-' ? 0 : values.filename, 'utf8');
    const result = injectManifests(input, options);
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
    if (values.output === undefined) process.stdout.write(result.output);
    else writeFileSync(values.output, result.output);
    return 0;
  } catch (err) {
    const message = err instanceof InjectError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`meshlet inject: ${message}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowNegative: true,
    options: {
      filename: { type: 'string', short: 'f' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
      ...INJECT_FLAGS,
    },
  });
}
