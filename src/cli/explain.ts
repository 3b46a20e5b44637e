// `meshlet explain`: why a request goes where it goes, from a mesh config file
// or from a live sidecar's admin port (/explain). The decision is made by the
// data path's own functions (src/route/explain.ts); this file reads the
// arguments and prints the answer for people or as JSON.
import { readFileSync } from 'node:fs';
import { meshSourcesOf } from '../config/artefacts.ts';
import { loadMeshText, readIssue } from '../config/load.ts';
import type { CompiledMesh } from '../config/types.ts';
import {
  type ConditionView,
  ExplainInputError,
  type Explanation,
  explainRequest,
  type RouteView,
} from '../route/explain.ts';
import { EXIT_OK, failure, runCommand, UsageError } from './args.ts';
import { identityFromEnv } from './env.ts';

export const USAGE = `usage: meshlet explain (--config PATH | --admin URL) --host HOST [options] [METHOD] PATH

Explains where a request would go and why: the service the host names, each
route in order with the condition that did not match, the matched route and
its split, the version a sticky key pins or a given random draw picks, the
endpoints, the allow decision with the rule that decided it, and the policies
that apply (timeout, retries, fault, mirror, headers, redirect, rewrite, rate
limit, guard). It uses the sidecar's own routing and authorization code, so the
answer is what the sidecar does.

  -c, --config PATH     a mesh.yaml, a ConfigMap manifest or Helm values (as
                        validate reads them; - for stdin)
  --admin URL           ask a running sidecar's admin port instead, e.g.
                        http://127.0.0.1:15000 (its live config and endpoints)
  --host HOST           the authority the app calls: reviews, reviews:9080,
                        reviews.default.svc.cluster.local, ...
  -H, --header 'NAME: VALUE'
                        a request header (repeatable)
  --from CALLER         the caller, as an allow rule's \`from\` names it: a
                        service, ns/NAMESPACE/sa/ACCOUNT or a spiffe:// ID
                        (default: this sidecar's own service, if known)
  --random R            the weighted pick's random draw, a number in [0, 1)
  --seed N              draw the random value from seed N (an integer)
  -o, --output FORMAT   text (default) or json
  -h, --help            this text

METHOD defaults to GET; PATH may carry a query string.

exit status: 0 explained (whatever the verdict), 1 the config or the sidecar
could not be read, 2 a usage error.

examples:
  meshlet explain --config mesh.yaml --host reviews -H x-user:jason GET /api/1
  meshlet explain --config mesh.yaml --host reviews --from productpage --random 0.97 /api/1
  meshlet explain --admin http://127.0.0.1:15000 --host reviews -o json /api/1
`;

export const OPTIONS = {
  config: { type: 'string', short: 'c' },
  admin: { type: 'string' },
  host: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  from: { type: 'string' },
  random: { type: 'string' },
  seed: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

const METHOD = /^[A-Z]+$/;

/** `name: value` or `name:value` from -H; throws UsageError for anything else. */
export function headerArg(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon === -1 ? '' : text.slice(0, colon).trim();
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
    throw new UsageError(`a header is 'name: value', not '${text}'`);
  return [name, text.slice(colon + 1).trim()];
}

/** The first value of mulberry32 seeded with `seed`: a reproducible draw in [0, 1). */
export function seededDraw(seed: number): number {
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function randomArg(random: string | undefined, seed: string | undefined): number | undefined {
  if (random !== undefined && seed !== undefined) throw new UsageError('give --random or --seed, not both');
  if (seed !== undefined) {
    if (!/^-?[0-9]+$/.test(seed)) throw new UsageError(`--seed takes an integer, not '${seed}'`);
    return seededDraw(Number(seed));
  }
  if (random === undefined) return undefined;
  const r = Number(random);
  if (random.trim() === '' || !(r >= 0 && r < 1))
    throw new UsageError(`--random takes a number in [0, 1), not '${random}'`);
  return r;
}

/** The one mesh config in a file (a ConfigMap or Helm values holding several is refused: say which). */
function loadConfig(path: string): CompiledMesh | string {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    return `${path === '-' ? '<stdin>' : path}: ${readIssue(path, err).message}`;
  }
  const file = path === '-' ? '<stdin>' : path;
  const found = meshSourcesOf(text);
  if (!found.ok) return `${file}:${found.position.line}:${found.position.col}: ${found.message}`;
  if (found.sources.length !== 1)
    return `${file} holds ${found.sources.length} mesh configs (${found.sources.map((s) => s.label).join(', ')}); give one`;
  const loaded = loadMeshText(found.sources[0]!.text, file, identityFromEnv());
  if (!loaded.ok)
    return `${file} is not a valid mesh config (run 'meshlet validate ${path}'): ${loaded.issues[0]!.message}`;
  return loaded.mesh;
}

async function askAdmin(
  admin: string,
  query: URLSearchParams,
): Promise<{ ok: true; explanation: Explanation } | { ok: false; message: string }> {
  let url: URL;
  try {
    url = new URL('/explain', admin);
  } catch {
    throw new UsageError(`--admin takes a URL like http://127.0.0.1:15000, not '${admin}'`);
  }
  url.search = query.toString();
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return {
      ok: false,
      message: `${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    };
  }
  const body = await res.text();
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, message: `${url.origin}/explain answered ${res.status}, not JSON` };
  }
  if (res.status !== 200)
    return {
      ok: false,
      message: `${url.origin}/explain: ${(value as { error?: string }).error ?? res.status}`,
    };
  return { ok: true, explanation: value as Explanation };
}

export function run(argv: string[]): Promise<number> {
  return runCommand(
    'explain',
    argv,
    { options: OPTIONS, usage: USAGE, maxPositionals: 2 },
    async ({ values, positionals }) => {
      const format = values.output ?? 'text';
      if (format !== 'text' && format !== 'json')
        throw new UsageError(`--output must be 'text' or 'json', not '${format}'`);
      if ((values.config === undefined) === (values.admin === undefined))
        throw new UsageError('give --config PATH or --admin URL (one of them)');
      if (positionals.length === 0) throw new UsageError('name the request path, e.g. GET /api/1');
      const [method, target] = positionals.length === 2 ? positionals : ['GET', positionals[0]!];
      if (!METHOD.test(method!)) throw new UsageError(`'${method}' is not an upper-case HTTP method`);
      if (!target!.startsWith('/')) throw new UsageError(`the path must start with '/', not '${target}'`);
      const headers = (values.header ?? []).map(headerArg);
      const host = values.host ?? headers.find(([n]) => n.toLowerCase() === 'host')?.[1];
      if (host === undefined || host === '') throw new UsageError('name the host the app calls: --host HOST');
      const random = randomArg(values.random, values.seed);

      let explanation: Explanation;
      if (values.admin !== undefined) {
        const query = new URLSearchParams({ host, method: method!, path: target! });
        for (const [n, v] of headers) query.append('header', `${n}:${v}`);
        if (values.from !== undefined) query.set('from', values.from);
        if (random !== undefined) query.set('random', String(random));
        const answer = await askAdmin(values.admin, query);
        if (!answer.ok) return failure('explain', answer.message);
        explanation = answer.explanation;
      } else {
        const mesh = loadConfig(values.config!);
        if (typeof mesh === 'string') return failure('explain', mesh);
        try {
          explanation = explainRequest(mesh, {
            host,
            method: method!,
            target: target!,
            headers,
            from: values.from,
            random,
          });
        } catch (err) {
          if (err instanceof ExplainInputError) throw new UsageError(err.message);
          throw err;
        }
      }
      process.stdout.write(
        format === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation),
      );
      return EXIT_OK;
    },
  );
}

/** A config value written on one line, YAML flow style: `{ attempts: 2, on: [503] }`. */
export function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${flow(v)}`)
      .join(', ')} }`;
  return String(value);
}

function condition(c: ConditionView): string {
  const what = c.name === undefined ? c.kind : `${c.kind} ${c.name}`;
  const got = c.actual === null ? 'missing' : `got ${c.actual === '' ? "''" : c.actual}`;
  return `${what} ${c.expected} (${c.ok ? 'ok' : got})`;
}

function routeLine(r: RouteView): string {
  const failed = r.conditions.filter((c) => !c.ok);
  const shown = r.matched ? r.conditions : failed;
  const why = shown.length === 0 ? 'no conditions (catch-all)' : shown.map(condition).join('; ');
  return `  ${r.matched ? 'match' : 'miss '}  #${r.index} ${r.name}: ${why}`;
}

function pad(label: string): string {
  return label.padEnd(11);
}

/** The explanation for people: one labelled section per question, in the order the sidecar decides. */
export function formatExplanation(e: Explanation): string {
  const out: string[] = [];
  const headers = Object.entries(e.request.headers)
    .filter(([n]) => n !== 'host')
    .map(([n, v]) => `${n}: ${v}`);
  out.push(
    `${pad('request')}${e.request.method} ${e.request.path}, host ${e.request.host}${headers.length === 0 ? '' : `, ${headers.join(', ')}`}`,
  );
  out.push(`${pad('config')}${e.config.hash} (${e.config.source})`);
  const d = e.destination;
  if (d.kind === 'passthrough') out.push(`${pad('service')}none: passthrough to ${d.origin} (${d.reason})`);
  else if (d.kind === 'service') out.push(`${pad('service')}${d.service} (${d.fqdn}, mtls ${d.mtls})`);
  else out.push(`${pad('service')}${d.service ?? 'none'}`);
  if (e.routes.length > 0) {
    out.push('routes');
    for (const r of e.routes) out.push(routeLine(r));
  }
  if (d.kind === 'refused') out.push(`${pad('refused')}${d.status} ${d.flag} (${d.message})`);
  if (e.route !== null && e.split.length > 0) {
    out.push(`split      ${e.route}`);
    const width = Math.max(...e.split.map((s) => s.version.length));
    for (const s of e.split) {
      const draw = s.draw === null ? 'no traffic' : `draw [${round(s.draw[0])}, ${round(s.draw[1])})`;
      const at = s.host === null ? '' : `  ${s.host}:${s.port}`;
      out.push(
        `  ${s.version.padEnd(width)}  ${String(s.percent).padStart(6)} %  weight ${s.weight}  ${draw}${at}`,
      );
    }
  }
  if (e.sticky !== null) {
    out.push(
      `${pad('sticky')}${e.sticky.by}: ${
        e.sticky.key === null
          ? 'the request has no key, so the version is drawn at random'
          : `key '${e.sticky.key}' pins ${e.sticky.version} while the weights hold`
      }`,
    );
  }
  if (e.draw !== null && e.sticky?.key != null)
    out.push(`${pad('draw')}${e.draw.random} would pick ${e.draw.version} for a request without the key`);
  if (e.route !== null) {
    out.push(
      `${pad('version')}${
        e.version === null
          ? e.pickedBy === 'random'
            ? 'drawn at random by weight (give --random R or --seed N to see one draw)'
            : e.pickedBy
          : `${e.version} (${e.pickedBy}) -> ${e.upstream}`
      }`,
    );
  }
  if (e.redirect !== null) out.push(`${pad('redirect')}${e.redirect.status} ${e.redirect.location}`);
  if (e.forwarded !== null && (e.forwarded.path !== e.request.path || e.forwarded.host !== e.request.host))
    out.push(`${pad('forwarded')}${e.forwarded.path}, host ${e.forwarded.host} (after the rewrite)`);
  if (e.endpoints.length > 0) {
    out.push('endpoints');
    for (const v of e.endpoints) {
      const list = v.endpoints
        .map((ep) => (v.live ? `${ep.address} ${ep.state}` : `${ep.address} (${ep.state})`))
        .join(', ');
      out.push(`  ${v.version}  ${list === '' ? 'none' : list}`);
    }
  }
  const a = e.allow;
  const who =
    a.caller === null
      ? ''
      : ` for ${a.caller}${a.principal !== null && a.principal !== a.caller ? ` (${a.principal})` : ''}`;
  const verdict = a.verdict === 'audit' ? 'allowed' : a.verdict;
  const rule = a.rule === null ? '' : `: rule #${a.rule}`;
  const why = a.verdict === 'allowed' && a.rule !== null ? '' : ` (${a.reason})`;
  const audit = a.verdict === 'audit' ? ' in audit mode, whose rules would deny it' : '';
  out.push(`${pad('allow')}${verdict}${who}${rule}${audit}${why}`);
  if (e.policies.length > 0) {
    out.push('policies');
    const width = Math.max(...e.policies.map((p) => p.name.length));
    for (const p of e.policies) {
      const where = p.appliedBy === 'callee' ? `${p.scope}, applied by the callee's sidecar` : p.scope;
      out.push(`  ${p.name.padEnd(width)}  ${flow(p.value)}  (${where})`);
    }
  } else if (e.route !== null) out.push(`${pad('policies')}none`);
  return `${out.join('\n')}\n`;
}

function round(n: number): string {
  return String(Math.round(n * 10000) / 10000);
}
