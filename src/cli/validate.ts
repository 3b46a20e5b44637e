// `meshlet validate PATH`: check a mesh.yaml the way the sidecar would load it.
import { parseArgs } from 'node:util';
import { formatIssue, loadMeshFile } from '../config/load.ts';
import { identityFromEnv } from './env.ts';

const USAGE =
  'usage: meshlet validate PATH\n\nChecks a mesh.yaml as the sidecar would load it; prints file:line:col for each problem and exits 1.\n';

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{
      args: string[];
      allowPositionals: true;
      options: { help: { type: 'boolean'; short: 'h' } };
    }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    process.stderr.write(`meshlet validate: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const file = positionals[0]!;
  const result = loadMeshFile(file, identityFromEnv());
  if (!result.ok) {
    for (const issue of result.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    return 1;
  }
  const m = result.mesh;
  process.stdout.write(`${file}: ok (hash ${m.hash}, ${m.services.size} services)\n`);
  return 0;
}
