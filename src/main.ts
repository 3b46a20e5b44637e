// CLI entry: wiring only. Each command lives in src/cli/<name>.ts and is
// imported lazily, so `meshlet validate` never loads the data plane.

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { describe: string; load: () => Promise<{ run: Command }> }> = {
  run: { describe: 'start the sidecar', load: () => import('./cli/run.ts') },
  validate: {
    describe: 'check a mesh.yaml, print file:line:col errors',
    load: () => import('./cli/validate.ts'),
  },
  inject: { describe: 'print manifests with the sidecar injected', load: () => import('./cli/inject.ts') },
  webhook: { describe: 'run the mutating admission webhook', load: () => import('./cli/webhook.ts') },
  certs: { describe: 'make development certificates (certs dev)', load: () => import('./cli/certs.ts') },
  graph: { describe: 'service dependency graph from Prometheus', load: () => import('./cli/graph.ts') },
  'init-iptables': {
    describe: 'install traffic capture rules',
    load: () => import('./cli/init-iptables.ts'),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.describe}`);
  return `usage: meshlet <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`meshlet: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
