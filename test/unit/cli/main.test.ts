// The CLI's shared contract, checked on every command: --help on stdout with
// every flag and an example, usage errors as one line of our own on stderr
// with exit 2, bare `meshlet` as a usage error (docs/cli.md).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../../src/cli/commands.ts';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'main.ts');

function meshlet(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('meshlet (no command)', () => {
  it('prints usage to stderr and exits 2', () => {
    const r = meshlet();
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^usage: meshlet <command> \[options\]\n/);
    for (const name of Object.keys(COMMANDS)) assert.match(r.stderr, new RegExp(`^  ${name} `, 'm'));
  });

  it('prints usage to stdout and exits 0 for --help', () => {
    const r = meshlet('--help');
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^usage: meshlet <command>/);
  });

  it("help COMMAND prints that command's help", () => {
    const r = meshlet('help', 'validate');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, meshlet('validate', '--help').stdout);
    assert.equal(meshlet('help', 'nope').status, 2);
  });

  it('names an unknown command or option in one line and exits 2', () => {
    for (const [arg, what] of [
      ['frobnicate', 'command'],
      ['--frobnicate', 'option'],
      ['toString', 'command'],
    ]) {
      const r = meshlet(arg!);
      assert.equal(r.status, 2);
      assert.equal(r.stderr, `meshlet: unknown ${what} '${arg}'\nRun 'meshlet --help' for the commands.\n`);
    }
  });
});

// Every command, whatever module owns it: help complete, usage errors alike.
for (const name of Object.keys(COMMANDS)) {
  describe(`meshlet ${name}`, () => {
    it('--help lists its flags and at least one example, on stdout, exit 0', () => {
      const r = meshlet(name, '--help');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, new RegExp(`^usage: meshlet ${name}\\b`));
      assert.match(r.stdout, /--help/, 'the help text lists --help');
      assert.match(r.stdout, /\nexamples?:\n {2}\S/, 'the help text has an example');
    });

    it('an unknown option is one line of our own on stderr, exit 2', () => {
      const r = meshlet(name, '--no-such-flag');
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      const [first] = r.stderr.split('\n');
      assert.equal(first, `meshlet ${name}: unknown option '--no-such-flag'`);
      assert.doesNotMatch(r.stderr, /ERR_PARSE_ARGS|To specify an option argument|Unknown option/);
    });
  });
}

describe('missing option values', () => {
  it('is a usage error naming the option', () => {
    for (const [command, flag] of [
      ['validate', '-o'],
      ['graph', '--prometheus'],
      ['inject', '-f'],
      ['certs', '--out'],
      ['init-iptables', '--proxy-uid'],
      ['version', '--output'],
      ['run', '--config'],
    ] as const) {
      const r = meshlet(command, flag);
      assert.equal(r.status, 2, `${command} ${flag}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n')[0], `meshlet ${command}: option '${flag}' needs a value`);
    }
  });

  it('a boolean flag given a value is a usage error', () => {
    const r = meshlet('init-iptables', '--dry-run=yes');
    assert.equal(r.status, 2);
    assert.equal(r.stderr.split('\n')[0], "meshlet init-iptables: option '--dry-run' takes no value");
  });
});
