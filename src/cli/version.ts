// `meshlet version`: the package version, the commit it was built from and the
// Node version it runs on (src/version.ts says where the commit comes from).
import { formatVersion, versionInfo } from '../version.ts';
import { runCommand, UsageError } from './args.ts';

export const USAGE = `usage: meshlet version [-o text|json]

Prints the meshlet version, the source commit ("unknown" when neither git nor
the build recorded it) and the Node version. 'meshlet --version' is the same.

  -o, --output FORMAT   text (default) or json
  -h, --help            this text

examples:
  meshlet version
  meshlet version -o json | jq -r .commit
`;

export const OPTIONS = { output: { type: 'string', short: 'o' } } as const;

export function run(argv: string[]): Promise<number> {
  return runCommand('version', argv, { options: OPTIONS, usage: USAGE }, ({ values }) => {
    const format = values.output ?? 'text';
    if (format !== 'text' && format !== 'json') {
      throw new UsageError(`--output must be 'text' or 'json', not '${format}'`);
    }
    const info = versionInfo();
    process.stdout.write(format === 'json' ? `${JSON.stringify(info)}\n` : formatVersion(info));
    return 0;
  });
}
