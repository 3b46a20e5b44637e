/** A semantic config error the schema cannot express, with the path of the offending node. */
export class CompileError extends Error {
  readonly path: readonly (string | number)[];
  constructor(path: readonly (string | number)[], message: string) {
    super(message);
    this.path = path;
  }
}

/** Every semantic error of one compile, so the user sees them all in one pass. */
export class CompileErrors extends Error {
  readonly errors: readonly CompileError[];
  constructor(errors: readonly CompileError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
  }
}
