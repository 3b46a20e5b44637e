// Route matching on query parameters (Gateway API's HTTPQueryParamMatch,
// Istio's queryParams): `query: { name: { exact | regex } }`. Names match
// exactly (case-sensitive); when a parameter repeats, the first one counts,
// as Gateway API says. Names and values are percent-decoded before matching
// (`+` stays a plus: it is a space only in HTML forms). Regexes are RE2, full
// match, compiled once. See docs/configuration.md ("Traffic policy", "query").
import { compileRegex } from '../config/regex.ts';
import { type Compiled, compiled, type PolicyIssue } from './issue.ts';

export type RawQueryMatch = Record<string, { exact?: unknown; regex?: unknown }>;

export interface CompiledQueryParam {
  readonly name: string;
  readonly test: (value: string) => boolean;
}

export type CompiledQueryMatch = readonly CompiledQueryParam[];

export function compileQueryMatch(raw: RawQueryMatch | undefined): Compiled<CompiledQueryMatch | null> {
  if (raw === undefined) return { ok: true, value: null };
  const issues: PolicyIssue[] = [];
  const params: CompiledQueryParam[] = [];
  for (const [name, m] of Object.entries(raw)) {
    if (name === '') {
      issues.push({ path: [name], message: 'a query parameter name must not be empty' });
      continue;
    }
    const keys = m === null || typeof m !== 'object' ? [] : Object.keys(m);
    if (keys.length !== 1 || (m.exact === undefined && m.regex === undefined)) {
      issues.push({ path: [name], message: `query parameter '${name}' needs exactly one of exact or regex` });
      continue;
    }
    if (m.exact !== undefined) {
      if (typeof m.exact !== 'string') {
        issues.push({ path: [name, 'exact'], message: 'exact must be a string' });
        continue;
      }
      const exact = m.exact;
      params.push(Object.freeze({ name, test: (v: string) => v === exact }));
      continue;
    }
    const re =
      typeof m.regex === 'string'
        ? compileRegex(m.regex)
        : { ok: false as const, message: 'regex must be a string' };
    if (!re.ok) issues.push({ path: [name, 'regex'], message: re.message });
    else params.push(Object.freeze({ name, test: re.test }));
  }
  return compiled(params.length === 0 ? null : Object.freeze(params), issues);
}

/** Percent-decodes a query component; a malformed escape leaves it as sent (it then matches only literally). */
function decoded(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The first value of parameter `name` in a request target (`/p?a=1&b`), or
 * undefined. A parameter without `=` has the value ''.
 */
export function queryParam(target: string, name: string): string | undefined {
  let i = target.indexOf('?');
  if (i === -1) return undefined;
  const hash = target.indexOf('#');
  const end = hash === -1 ? target.length : hash;
  i++;
  while (i <= end) {
    let amp = target.indexOf('&', i);
    if (amp === -1 || amp > end) amp = end;
    if (amp > i) {
      let eq = target.indexOf('=', i);
      if (eq === -1 || eq > amp) eq = amp;
      if (decoded(target.slice(i, eq)) === name) return eq === amp ? '' : decoded(target.slice(eq + 1, amp));
    }
    i = amp + 1;
  }
  return undefined;
}

/** Whether every listed parameter is present and matches. */
export function queryMatches(match: CompiledQueryMatch, target: string): boolean {
  for (let k = 0; k < match.length; k++) {
    const param = match[k]!;
    const value = queryParam(target, param.name);
    if (value === undefined || !param.test(value)) return false;
  }
  return true;
}
