/** A semantic config error the schema cannot express, with the path of the offending node. */
export class CompileError extends Error {
  readonly path: readonly (string | number)[];
  constructor(path: readonly (string | number)[], message: string) {
    super(message);
    this.path = path;
  }
}
