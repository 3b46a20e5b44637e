// `meshlet completion`: the scripts parse in their shell, list every command,
// and complete each command's flags, read from its --help text. The bash
// script is run in a real bash with the completion variables set.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../../src/cli/commands.ts';
import { flagsOf } from '../../../src/cli/completion.ts';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'meshlet-completion-'));
const has = (shell: string) => spawnSync(shell, ['-c', 'true']).status === 0;

function script(shell: string): string {
  const r = spawnSync(process.execPath, [MAIN, 'completion', shell], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout;
}

/** What bash offers for the words typed so far (the last one being completed). */
function bashComplete(file: string, words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _meshlet; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('meshlet completion bash', { skip: has('bash') ? false : 'bash not installed' }, () => {
  const file = join(dir, 'meshlet.bash');
  writeFileSync(file, script('bash'));

  it('parses (bash -n)', () => {
    const r = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it("completes the commands, then each command's flags and words", () => {
    assert.deepEqual(
      bashComplete(file, ['meshlet', '']).sort(),
      [...Object.keys(COMMANDS), '--help', '--version'].sort(),
    );
    assert.deepEqual(bashComplete(file, ['meshlet', 'va']), ['validate']);
    assert.deepEqual(bashComplete(file, ['meshlet', 'validate', '--st']), ['--strict']);
    assert.deepEqual(bashComplete(file, ['meshlet', 'inject', '--no-nat']), ['--no-native-sidecar']);
    assert.deepEqual(bashComplete(file, ['meshlet', 'certs', '']), ['dev']);
    assert.deepEqual(bashComplete(file, ['meshlet', 'completion', 'z']), ['zsh']);
    // Not a flag and no positional words: left to bash's file completion.
    assert.deepEqual(bashComplete(file, ['meshlet', 'validate', 'mesh']), []);
  });
});

describe('meshlet completion zsh', () => {
  const text = script('zsh');

  it('lists every command with its description', () => {
    assert.match(text, /^#compdef meshlet\n/);
    for (const [name, entry] of Object.entries(COMMANDS)) {
      assert.ok(
        text.includes(`'${name}:${entry.describe.replaceAll("'", '').replaceAll(':', '\\:')}'`),
        name,
      );
      assert.match(text, new RegExp(`^    \\(${name}\\) flags=\\(`, 'm'));
    }
  });

  it('parses (zsh -n)', { skip: has('zsh') ? false : 'zsh not installed' }, () => {
    const file = join(dir, '_meshlet');
    writeFileSync(file, text);
    const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});

describe('flagsOf', () => {
  it('reads the long flags of option lines only, expanding --[no-]x', () => {
    const help = `usage: meshlet x [--ignored]\n\nSee 'meshlet --version'.\n\n  -o, --output F   text\n  --[no-]native    a switch, unlike --also-this\n  --a N --b N      two\n`;
    assert.deepEqual(flagsOf(help), [
      '--output',
      '--native',
      '--no-native',
      '--also-this',
      '--a',
      '--b',
      '--help',
    ]);
  });

  it("finds in every command's help exactly the flags the command parses", async () => {
    for (const [name, entry] of Object.entries(COMMANDS)) {
      const mod = await entry.load();
      if (mod.USAGE === undefined || mod.OPTIONS === undefined) continue;
      const listed = new Set(flagsOf(mod.USAGE).filter((f) => !f.startsWith('--no-')));
      const parsed = new Set([...Object.keys(mod.OPTIONS), 'help'].map((o) => `--${o}`));
      assert.deepEqual([...listed].sort(), [...parsed].sort(), name);
    }
  });
});
