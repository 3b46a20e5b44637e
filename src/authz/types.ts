// The authorization seam: a compiled rule set and the decision over it.
// Compiled once per config snapshot; decided per request by a pure function.

export interface CompiledAllow {
  readonly mode: 'enforce' | 'audit';
  readonly rules: readonly CompiledAllowRule[];
}

export interface CompiledAllowRule {
  /** Exact SPIFFE IDs allowed; `any` means `*` (any authenticated peer). */
  readonly principals: ReadonlySet<string>;
  readonly anyAuthenticated: boolean;
  readonly methods: ReadonlySet<string> | null;
  readonly exactPaths: ReadonlySet<string> | null;
  readonly pathPrefixes: readonly string[] | null;
}

/** Outcome of allowDecision; `permit` carries the principal for metric labels. */
export type AllowDecision =
  | { readonly allowed: true; readonly audited: false }
  | { readonly allowed: true; readonly audited: true; readonly reason: string }
  | { readonly allowed: false; readonly audited: false; readonly reason: string };
