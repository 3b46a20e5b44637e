// Argument parsing shared by every subcommand, so that a usage error reads the
// same everywhere: one line of our own on stderr, a pointer to --help, exit 2
// (docs/cli.md lists the exit codes). Node's parseArgs finds the tokens; the
// checks and their wording are ours.
import { parseArgs } from 'node:util';

export type OptionSpec = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }
>;

/** A mistake in how the command was called; `meshlet <command>` exits 2 with it. */
export class UsageError extends Error {}

export const EXIT_OK = 0;
/** The operation was tried and failed (invalid config, unreachable server, ...). */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

type Values<O extends OptionSpec> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean'
    ? boolean
    : O[K]['multiple'] extends true
      ? string[]
      : string;
};

export interface Parsed<O extends OptionSpec> {
  values: Values<O>;
  positionals: string[];
}

/**
 * Parses `argv` against `options`. Throws UsageError for an unknown option, a
 * string option without its value, a value given to a boolean option, or a
 * positional argument when `maxPositionals` is 0 (or past it).
 */
export function parseCommandArgs<O extends OptionSpec>(
  argv: string[],
  options: O,
  opts: { maxPositionals?: number; allowNegative?: boolean } = {},
): Parsed<O> {
  const { tokens } = parseArgs({
    args: argv,
    options,
    strict: false,
    tokens: true,
    allowPositionals: true,
    allowNegative: opts.allowNegative ?? false,
  });
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const max = opts.maxPositionals ?? 0;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (positionals.length >= max) {
        throw new UsageError(
          max === 0 ? `unexpected argument '${token.value}'` : `too many arguments at '${token.value}'`,
        );
      }
      positionals.push(token.value);
      continue;
    }
    const spec = options[token.name];
    const negated = opts.allowNegative === true && token.rawName.startsWith('--no-');
    if (spec === undefined || (negated && spec.type !== 'boolean')) {
      throw new UsageError(`unknown option '${token.rawName}'`);
    }
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`option '${token.rawName}' takes no value`);
      values[token.name] = !negated;
      continue;
    }
    // `--config --verbose` is a forgotten value, not a file named `--verbose`; `-` (stdin) is a value.
    const value = token.value;
    if (value === undefined || (token.inlineValue === false && value.startsWith('-') && value !== '-')) {
      throw new UsageError(`option '${token.rawName}' needs a value`);
    }
    if (spec.multiple === true) {
      const list = (values[token.name] as string[] | undefined) ?? [];
      list.push(value);
      values[token.name] = list;
    } else {
      values[token.name] = value;
    }
  }
  for (const [name, spec] of Object.entries(options)) {
    if (values[name] === undefined && spec.default !== undefined) values[name] = spec.default;
  }
  return { values: values as Values<O>, positionals };
}

/** Control characters a user typed, escaped so an error stays one line and harmless on a terminal. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Writes the one-line usage error for `command` and returns the exit code 2. */
export function usageError(command: string, message: string): number {
  const name = command === '' ? 'meshlet' : `meshlet ${command}`;
  process.stderr.write(`${name}: ${printable(message)}\nRun '${name} --help' for usage.\n`);
  return EXIT_USAGE;
}

/** Writes a failure of the operation itself and returns the exit code 1. */
export function failure(command: string, message: string): number {
  process.stderr.write(`meshlet ${command}: ${message}\n`);
  return EXIT_FAILED;
}

/**
 * The usual shape of a subcommand: parse, answer --help on stdout, turn a
 * UsageError (from parsing or from `body`) into exit 2.
 */
export async function runCommand<O extends OptionSpec>(
  command: string,
  argv: string[],
  spec: { options: O; usage: string; maxPositionals?: number; allowNegative?: boolean },
  body: (args: Parsed<O>) => Promise<number> | number,
): Promise<number> {
  let args: Parsed<O>;
  try {
    args = parseCommandArgs(argv, { ...spec.options, help: { type: 'boolean', short: 'h' } }, spec);
  } catch (err) {
    if (err instanceof UsageError) return usageError(command, err.message);
    throw err;
  }
  if ((args.values as { help?: boolean }).help === true) {
    process.stdout.write(spec.usage);
    return EXIT_OK;
  }
  try {
    return await body(args);
  } catch (err) {
    if (err instanceof UsageError) return usageError(command, err.message);
    throw err;
  }
}
