// Property: whatever values a config holds (hosts, ports, regexes, durations,
// weights, names, nesting, truncation), loadMeshText never throws. It either
// compiles a mesh whose every version origin is a URL that parses, with the
// port the config gave, and whose every regex is RE2; or it lists issues, each
// with a position in the file (line and col from 1). Fixed seed, time-bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { stringify } from 'yaml';
import { type LoadResult, loadMeshText } from '../../../src/config/load.ts';
import type { SidecarIdentity } from '../../../src/config/types.ts';

const SEED = 20261202;
const SECONDS = 8;
const self: SidecarIdentity = {
  service: 'reviews',
  workload: 'reviews',
  namespace: 'shop',
  version: 'v1',
  serviceAccount: 'reviews',
};

/** Mostly a valid value, sometimes anything: so both outcomes are explored deeply. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, wild: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 40 }, { arbitrary: wild, weight: 1 });

const host = mostly(
  fc.oneof(
    fc.domain(),
    fc.ipV4(),
    fc.ipV6(),
    fc.ipV6().map((ip) => `[${ip}]`),
    fc.constantFrom('::1', '[::1]'),
  ),
  fc.oneof(
    fc.ipV4Extended(),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: fc.constantFrom(...'a1.-_:[]/% @'.split('')), maxLength: 15 }),
    fc.constantFrom(
      '127.0.0.1:9081',
      'http://127.0.0.1',
      'reviews v1',
      '127.0.0.1/v1',
      '999.1.1.1',
      '1.2.3',
      '0x7f.1',
      'fe80::1%eth0',
      'a..b',
      '-a',
    ),
  ),
);
const port = mostly(
  fc.integer({ min: 1, max: 65535 }),
  fc.oneof(
    fc.integer({ min: -5, max: 70_000 }),
    fc.constantFrom(0, 65536),
    fc.double(),
    fc.string({ maxLength: 6 }),
  ),
);
const regex = mostly(
  fc.oneof(
    fc.constantFrom('(a+)+b', '[[:alpha:]]+', '(?i)abc', '\\pN+', '/items/[0-9]+', 'beta-[0-9]{1,3}', '.*'),
    fc.string({ unit: fc.constantFrom(...'ab.*+?|0123456789'.split('')), maxLength: 12 }).filter((r) => {
      try {
        RE2JS.compile(r);
        return true;
      } catch {
        return false;
      }
    }),
  ),
  fc.oneof(
    fc.string({ unit: fc.constantFrom(...'ab.*+?()[]{}|^$\\-0123456789:=!<dwsp'.split('')), maxLength: 16 }),
    fc.constantFrom('(?=a)b', '(a)\\1', '(?<!x)y', '[', ')', 'a{2,1}'),
  ),
);
const duration = mostly(
  fc.tuple(fc.nat({ max: 500 }), fc.constantFrom('ms', 's', 'm', 'h')).map(([n, u]) => `${n}${u}`),
  fc.oneof(
    fc.constantFrom('5 seconds', '1.5s', '-1s', '', '600h', '99999999999999999999h'),
    fc.string({ maxLength: 8 }),
    fc.integer(),
  ),
);
const weight = mostly(
  fc.nat({ max: 1000 }),
  fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double(), fc.constant('1')),
);
const serviceName = mostly(
  fc.constantFrom('reviews', 'ratings', 'details', 'db-1'),
  fc.oneof(fc.constantFrom('Bad_Name', 'x'.repeat(70), ''), fc.string({ maxLength: 10 })),
);
const versionName = mostly(
  fc.constantFrom('v1', 'v2'),
  fc.oneof(fc.constantFrom('v3', '-v'), fc.string({ maxLength: 5 })),
);
const headerName = mostly(fc.constantFrom('x-user', 'x-group', 'X-Debug'), fc.string({ maxLength: 8 }));
const stringMatch = mostly(
  fc.oneof(
    fc.record({ regex }),
    fc.record({ exact: fc.string({ maxLength: 8 }) }),
    fc.record({ prefix: fc.constant('/api/') }),
  ),
  fc.record({ regex, exact: fc.string({ maxLength: 4 }) }),
);
const route = mostly(
  fc.record(
    {
      name: fc.string({ maxLength: 8 }),
      match: fc.record(
        {
          path: stringMatch,
          headers: fc.dictionary(headerName, mostly(stringMatch, fc.record({ present: fc.boolean() })), {
            maxKeys: 2,
          }),
          method: mostly(
            fc.constantFrom('GET', 'POST'),
            fc.oneof(fc.constant('get'), fc.array(fc.constantFrom('GET', ''), { maxLength: 2 })),
          ),
        },
        { requiredKeys: [] },
      ),
      split: fc.dictionary(versionName, weight, { minKeys: 1, maxKeys: 2 }),
      timeout: duration,
      sticky: mostly(
        fc.record({ header: fc.constant('x-session') }),
        fc.record({ cookie: fc.string({ maxLength: 3 }) }),
      ),
    },
    { requiredKeys: ['split'] },
  ),
  fc.record({ spilt: fc.constant({ v1: 1 }), timeout: duration }),
);
const service = fc.record(
  {
    port,
    mtls: mostly(fc.constantFrom('strict', 'permissive', 'disable'), fc.constant('sometimes')),
    versions: fc.dictionary(versionName, fc.record({ host, port }, { requiredKeys: ['host'] }), {
      minKeys: 1,
      maxKeys: 2,
    }),
    timeout: duration,
    streamIdleTimeout: duration,
    retries: fc.record(
      {
        attempts: mostly(fc.integer({ min: 0, max: 10 }), fc.integer({ min: -1, max: 12 })),
        on: fc.array(
          mostly(fc.constantFrom('5xx', 'reset', 'connect-failure', 503), fc.constantFrom('nope', 700)),
          { maxLength: 3 },
        ),
        perTryTimeout: duration,
      },
      { requiredKeys: ['attempts'] },
    ),
    routes: fc.array(route, { maxLength: 3 }),
    allow: fc.array(fc.record({ from: fc.array(serviceName, { minLength: 1, maxLength: 2 }) }), {
      maxLength: 2,
    }),
  },
  { requiredKeys: [] },
);
const mesh = fc.record(
  {
    mtls: fc.constantFrom('strict', 'permissive', 'disable'),
    upstreamIdleTimeout: duration,
    streamIdleTimeout: duration,
    tracing: fc.record(
      {
        sampling: mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.double()),
        otlpEndpoint: mostly(
          fc.constantFrom(
            'http://jaeger:4318/v1/traces',
            'http://[::1]:4318/v1/traces',
            'https://otel.example/x',
          ),
          fc.oneof(
            fc.webUrl(),
            fc.string({ maxLength: 20 }),
            fc.constantFrom('http://', 'http://a b/', 'http://j:99999/'),
          ),
        ),
      },
      { requiredKeys: [] },
    ),
    services: fc.dictionary(serviceName, service, { minKeys: 1, maxKeys: 3 }),
  },
  { requiredKeys: ['services'] },
);

/** The property every load result must satisfy. */
function checkResult(text: string, r: LoadResult): void {
  if (!r.ok) {
    assert.ok(r.issues.length > 0, 'a refusal lists at least one issue');
    const lines = text.split('\n').length;
    for (const issue of r.issues) {
      assert.ok(issue.line >= 1 && issue.col >= 1, `issue without a position: ${JSON.stringify(issue)}`);
      assert.ok(issue.line <= lines + 1, `issue past the end of the file: ${JSON.stringify(issue)}`);
      assert.ok(issue.message.length > 0);
    }
    return;
  }
  for (const service of r.mesh.services.values()) {
    for (const v of service.versions.values()) {
      const url = new URL(v.origin);
      assert.equal(url.protocol, 'http:');
      assert.ok(url.hostname.length > 0);
      assert.equal(Number(url.port || 80), v.port, v.origin);
    }
    // Every timer value is one Node's timers honour (at most 2^31 - 1 ms).
    const timers = [service.timeoutMs, service.streamIdleTimeoutMs, service.retry?.perTryTimeoutMs ?? 0];
    for (const route of service.routes) timers.push(route.timeoutMs);
    for (const ms of timers) assert.ok(Number.isInteger(ms) && ms >= 0 && ms <= 2 ** 31 - 1, `timer ${ms}`);
    for (const route of service.routes) {
      assert.ok(Number.isSafeInteger(route.totalWeight) && route.totalWeight > 0);
      // Compiled matchers never throw, whatever they are given.
      route.path?.('/items/42');
      for (const h of route.headers) h.test?.('a'.repeat(30));
    }
  }
  for (const [, svc] of Object.entries(r.mesh.raw.services ?? {})) {
    for (const route of svc.routes ?? []) {
      const regexes = [
        route.match?.path?.regex,
        ...Object.values(route.match?.headers ?? {}).map((h) => h.regex),
      ];
      for (const source of regexes) if (source !== undefined) RE2JS.compile(source);
    }
  }
}

describe('loadMeshText (property)', () => {
  it('never throws on random config values: a mesh whose origins parse and regexes are RE2, or issues with positions', () => {
    let runs = 0;
    let compiled = 0;
    let services = 0;
    fc.assert(
      fc.property(mesh, (value) => {
        runs++;
        const text = stringify(value);
        const r = loadMeshText(text, 'mesh.yaml', self);
        if (r.ok) {
          compiled++;
          services += r.mesh.services.size;
        }
        checkResult(text, r);
      }),
      {
        seed: SEED,
        numRuns: 1_000_000,
        interruptAfterTimeLimit: SECONDS * 1000,
        markInterruptAsFailure: false,
      },
    );
    process.stdout.write(
      `# ${runs} random configs loaded: ${compiled} compiled (${services} services), the rest refused\n`,
    );
    assert.ok(runs > 100);
    assert.ok(compiled > runs / 10, 'the valid side is explored too');
  });

  it('never throws on random texts and truncated configs (half-written files)', () => {
    const valid = stringify({
      mtls: 'disable',
      services: {
        reviews: {
          port: 9080,
          versions: { v1: { host: '::1', port: 9081 }, v2: { host: 'reviews-v2', port: 9082 } },
          routes: [{ match: { path: { regex: '/items/[0-9]+' } }, split: { v2: 1 } }, { split: { v1: 1 } }],
        },
      },
    });
    let runs = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
          fc.string({ maxLength: 200 }),
          fc
            .tuple(fc.nat({ max: valid.length }), fc.string({ maxLength: 5 }))
            .map(([n, s]) => valid.slice(0, n) + s + valid.slice(n)),
        ),
        (text) => {
          runs++;
          checkResult(text, loadMeshText(text, 'mesh.yaml', self));
        },
      ),
      { seed: SEED, numRuns: 1_000_000, interruptAfterTimeLimit: 4000, markInterruptAsFailure: false },
    );
    process.stdout.write(`# ${runs} random or truncated texts loaded\n`);
  });
});
