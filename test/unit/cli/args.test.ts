// The shared argument parser: whatever a user types, the result is either
// values of the declared options with their declared types, or a UsageError
// with one line of our own; never Node's parseArgs text or another exception.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCommandArgs, printable, UsageError } from '../../../src/cli/args.ts';

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  output: { type: 'string', short: 'o', default: 'text' },
  service: { type: 'string', multiple: true },
  strict: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

describe('parseCommandArgs', () => {
  it('parses flags, short flags, inline values, repeats, negation and positionals', () => {
    const r = parseCommandArgs(
      ['-c', 'a.yaml', '--service=x', '--service', 'y', '--no-strict', 'f1', '-', '--', '--f2'],
      OPTIONS,
      { maxPositionals: 3, allowNegative: true },
    );
    assert.deepEqual(r.values, { config: 'a.yaml', service: ['x', 'y'], strict: false, output: 'text' });
    assert.deepEqual(r.positionals, ['f1', '-', '--f2']);
  });

  for (const [argv, message, opts] of [
    [['--nope'], "unknown option '--nope'", {}],
    [['-z'], "unknown option '-z'", {}],
    [['--config'], "option '--config' needs a value", {}],
    [['-c', '--strict'], "option '-c' needs a value", {}],
    [['--strict=yes'], "option '--strict' takes no value", {}],
    [['--no-config', 'x'], "unknown option '--no-config'", { allowNegative: true }],
    [['--no-strict'], "unknown option '--no-strict'", {}],
    [['file'], "unexpected argument 'file'", {}],
    [['a', 'b'], "too many arguments at 'b'", { maxPositionals: 1 }],
  ] as const) {
    it(`refuses ${argv.join(' ')}: ${message}`, () => {
      assert.throws(
        () => parseCommandArgs([...argv], OPTIONS, opts),
        (err: unknown) => err instanceof UsageError && err.message === message,
      );
    });
  }

  it('for any argv, returns declared options with their types or throws a one-line UsageError', () => {
    const token = fc.oneof(
      fc.constantFrom(
        '--config',
        '-c',
        '--output',
        '-o',
        '--service',
        '--strict',
        '--dry-run',
        '--no-strict',
      ),
      fc.constantFrom('--', '-', '-co', '--config=', '--strict=1', '---', '-=', '--=x', '--no-'),
      fc.string({ maxLength: 8 }),
      fc.string({ maxLength: 4, unit: 'binary' }).map((s) => `--${s}`),
      fc.string({ maxLength: 8 }).map((s) => `--${s}`),
      fc.string({ maxLength: 3 }).map((s) => `-${s}`),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), fc.boolean(), fc.nat(3), (argv, allowNegative, max) => {
        try {
          const { values, positionals } = parseCommandArgs(argv, OPTIONS, {
            allowNegative,
            maxPositionals: max,
          });
          assert.ok(positionals.length <= max);
          for (const [name, value] of Object.entries(values)) {
            const spec = OPTIONS[name as keyof typeof OPTIONS];
            assert.ok(spec !== undefined, `undeclared option ${name}`);
            if (spec.type === 'boolean') assert.equal(typeof value, 'boolean');
            else if ('multiple' in spec)
              assert.ok(Array.isArray(value) && value.every((v) => typeof v === 'string'));
            else assert.equal(typeof value, 'string');
          }
        } catch (err) {
          assert.ok(err instanceof UsageError, String(err));
          assert.ok(!printable(err.message).includes('\n'), err.message);
          assert.doesNotMatch(err.message, /ERR_PARSE_ARGS|To specify/);
        }
      }),
      { seed: 13, numRuns: 2000 },
    );
  });
});
