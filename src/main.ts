// CLI entry: wiring only; the commands are listed in src/cli/commands.ts. Exit
// codes: 0 ok, 1 the operation failed, 2 a usage error (docs/cli.md).
import { EXIT_USAGE, printable } from './cli/args.ts';
import { COMMANDS } from './cli/commands.ts';
import { formatVersion, versionInfo } from './version.ts';

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.describe}`);
  return `usage: meshlet <command> [options]

commands:
${lines.join('\n')}

Run 'meshlet <command> --help' for a command's options and examples.
'meshlet help <command>' is the same; 'meshlet --version' prints the version.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(usage());
    return EXIT_USAGE;
  }
  if (name === 'help' && rest.length > 0) return main([rest[0]!, '--help']);
  if (name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(formatVersion(versionInfo()));
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    const what = name.startsWith('-') ? 'option' : 'command';
    process.stderr.write(
      `meshlet: unknown ${what} '${printable(name)}'\nRun 'meshlet --help' for the commands.\n`,
    );
    return EXIT_USAGE;
  }
  const mod = await command.load();
  return mod.run(rest);
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
