// The command table: one place that lists every subcommand, read by the
// entry point (src/main.ts) and by `meshlet completion`. Each command lives in
// src/cli/<name>.ts and is imported lazily, so `meshlet validate` never loads
// the data plane.
import type { OptionSpec } from './args.ts';

type Command = (argv: string[]) => Promise<number>;

export interface CommandEntry {
  readonly describe: string;
  /**
   * Each module exports `run`, and where it has them `USAGE` (its --help text:
   * completion reads the flags from it) and `OPTIONS` (what it parses: a test
   * checks the help names each one).
   */
  readonly load: () => Promise<{ run: Command; USAGE?: string; OPTIONS?: OptionSpec }>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  run: { describe: 'start the sidecar', load: () => import('./run.ts') },
  validate: {
    describe: 'check mesh.yaml files, ConfigMaps or Helm values; print errors and warnings',
    load: () => import('./validate.ts'),
  },
  inject: { describe: 'print manifests with the sidecar injected', load: () => import('./inject.ts') },
  webhook: { describe: 'run the mutating admission webhook', load: () => import('./webhook.ts') },
  certs: { describe: 'make development certificates (certs dev)', load: () => import('./certs.ts') },
  graph: { describe: 'service dependency graph from Prometheus', load: () => import('./graph.ts') },
  explain: {
    describe: 'why a request goes where it goes: route, split, version, allow rule, policies',
    load: () => import('./explain.ts'),
  },
  diff: {
    describe: 'what an edit to the mesh config changes in routing, allow rules and policies',
    load: () => import('./diff.ts'),
  },
  'init-iptables': {
    describe: 'install traffic capture rules',
    load: () => import('./init-iptables.ts'),
  },
  version: { describe: 'print the version, commit and Node version', load: () => import('./version.ts') },
  completion: {
    describe: 'print a shell completion script (bash or zsh)',
    load: () => import('./completion.ts'),
  },
};
