// `meshlet validate PATH`: check a mesh.yaml the way the sidecar would load it.
import { parseArgs } from 'node:util';
import { formatIssue, loadMeshFile } from '../config/load.ts';
import { identityFromEnv } from './env.ts';

export async function run(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals.length !== 1) {
    process.stderr.write('usage: meshlet validate PATH\n');
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
