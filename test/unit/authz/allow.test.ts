import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AllowContext,
  allowDecision,
  canonicalRequestPath,
  compileAllow,
  type RawAllowRuleInput,
} from '../../../src/authz/allow.ts';
import type { CompiledAllow } from '../../../src/authz/types.ts';

const ctx: AllowContext = {
  trustDomain: 'cluster.local',
  sidecarNamespace: 'default',
  services: new Map([
    ['productpage', { namespace: 'shop', serviceAccount: 'bookinfo-productpage' }],
    ['reviews', { namespace: 'default', serviceAccount: 'reviews' }],
  ]),
};

function compile(rules: RawAllowRuleInput[] | undefined, mode?: 'enforce' | 'audit'): CompiledAllow | null {
  const result = compileAllow(rules, mode, ctx);
  if ('errors' in result) assert.fail(`unexpected errors: ${JSON.stringify(result.errors)}`);
  return result.allow;
}

const PRODUCTPAGE = 'spiffe://cluster.local/ns/shop/sa/bookinfo-productpage';
const FRONTEND = 'spiffe://cluster.local/ns/shop/sa/frontend';
const PROBE = 'spiffe://cluster.local/ns/ops/sa/probe';
const RATINGS = 'spiffe://cluster.local/ns/default/sa/ratings';
const STRANGER = 'spiffe://cluster.local/ns/default/sa/stranger';

describe('compileAllow', () => {
  test('absent rules compile to null (anyone may call)', () => {
    assert.deepEqual(compileAllow(undefined, 'enforce', ctx), { allow: null });
  });

  test('an empty rule list denies everyone', () => {
    const allow = compile([]);
    assert.deepEqual(allowDecision(allow, PRODUCTPAGE, 'GET', '/').allowed, false);
  });

  test('from entries resolve to SPIFFE IDs', () => {
    const allow = compile([{ from: ['productpage', 'ratings', 'ns/shop/sa/frontend', PROBE, 'reviews'] }]);
    assert.deepEqual(
      [...allow!.rules[0]!.principals].sort(),
      [
        'spiffe://cluster.local/ns/default/sa/ratings', // not in the registry: sidecar namespace, name as account
        'spiffe://cluster.local/ns/default/sa/reviews',
        FRONTEND,
        PROBE,
        PRODUCTPAGE, // registry namespace and service account
      ].sort(),
    );
    assert.equal(allow!.rules[0]!.anyAuthenticated, false);
    assert.equal(allow!.mode, 'enforce');
  });

  test('* means any authenticated peer; paths split into exact and prefix', () => {
    const allow = compile(
      [{ from: ['*'], methods: ['GET', 'HEAD'], paths: ['/health', '/api/*', '/*'] }],
      'audit',
    );
    const rule = allow!.rules[0]!;
    assert.equal(rule.anyAuthenticated, true);
    assert.equal(rule.principals.size, 0);
    assert.deepEqual([...rule.methods!], ['GET', 'HEAD']);
    assert.deepEqual([...rule.exactPaths!], ['/health']);
    assert.deepEqual(rule.pathPrefixes, ['/api/', '/']);
    assert.equal(allow!.mode, 'audit');
  });

  const invalid: Array<[string, RawAllowRuleInput[], Array<{ path: (string | number)[]; match: RegExp }>]> = [
    ['empty from', [{ from: [] }], [{ path: [0, 'from'], match: /at least one caller/ }]],
    ['missing from', [{ methods: ['GET'] }], [{ path: [0, 'from'], match: /at least one caller/ }]],
    [
      'bad from entries, each at its index',
      [
        {
          from: [
            'ok',
            'ns/a',
            'ns/a/sa/b/c',
            'spiffe://cluster.local',
            'spiffe://Cluster.local/ns/a/sa/b',
            'a b',
          ],
        },
      ],
      [
        { path: [0, 'from', 1], match: /ns\/<namespace>\/sa\/<serviceAccount>/ },
        { path: [0, 'from', 2], match: /ns\/<namespace>/ },
        { path: [0, 'from', 3], match: /not a valid workload SPIFFE ID/ },
        { path: [0, 'from', 4], match: /not a valid workload SPIFFE ID/ },
        { path: [0, 'from', 5], match: /not a valid service name/ },
      ],
    ],
    [
      'SPIFFE ID from another trust domain',
      [{ from: ['spiffe://evil.local/ns/a/sa/b'] }],
      [{ path: [0, 'from', 0], match: /trust domain 'evil.local'.*could never match/ }],
    ],
    [
      'methods',
      [{ from: ['*'], methods: ['GET', 'get', 'PO ST'] }],
      [
        { path: [0, 'methods', 1], match: /upper-case/ },
        { path: [0, 'methods', 2], match: /upper-case/ },
      ],
    ],
    ['empty methods', [{ from: ['*'], methods: [] }], [{ path: [0, 'methods'], match: /non-empty/ }]],
    [
      'paths',
      [
        { from: ['*'], paths: ['/ok'] },
        {
          from: ['*'],
          paths: [
            'reviews',
            '/a*',
            '/*/x',
            '/a?b=1',
            '/a/../b',
            '/a/%2Fb',
            '/%72eviews',
            '/caf\u00e9',
            '/a\\b',
          ],
        },
      ],
      [
        { path: [1, 'paths', 0], match: /must start with '\/'/ },
        { path: [1, 'paths', 1], match: /only a trailing '\/\*'/ },
        { path: [1, 'paths', 2], match: /only a trailing '\/\*'/ },
        { path: [1, 'paths', 3], match: /query or fragment/ },
        { path: [1, 'paths', 4], match: /dot segments/ },
        { path: [1, 'paths', 5], match: /encoded slash/ },
        { path: [1, 'paths', 6], match: /write '\/reviews'/ },
        { path: [1, 'paths', 7], match: /ASCII/ },
        { path: [1, 'paths', 8], match: /backslash/ },
      ],
    ],
  ];
  for (const [name, rules, expected] of invalid) {
    test(`rejects ${name} with a path into the allow array`, () => {
      const result = compileAllow(rules, undefined, ctx);
      assert.ok('errors' in result, 'expected errors');
      assert.deepEqual(
        result.errors.map((e) => e.path),
        expected.map((e) => e.path),
      );
      result.errors.forEach((e, i) => {
        assert.match(e.message, expected[i]!.match);
      });
    });
  }

  test('rejects an unknown allowMode', () => {
    const result = compileAllow([{ from: ['*'] }], 'shadow' as 'audit', ctx);
    assert.ok('errors' in result);
    assert.deepEqual(result.errors[0]!.path, []);
  });
});

describe('allowDecision', () => {
  test('no rule set: everyone, even plaintext callers, is allowed', () => {
    assert.deepEqual(allowDecision(null, null, 'DELETE', '/admin'), { allowed: true, audited: false });
  });

  const allow = compile([
    { from: ['productpage', 'ns/shop/sa/frontend', PROBE], methods: ['GET'], paths: ['/reviews/*'] },
    { from: ['ratings'], paths: ['/stats'] },
    { from: ['*'], methods: ['GET'], paths: ['/healthz'] },
  ]);

  const cases: Array<[string | null, string, string, boolean]> = [
    [PRODUCTPAGE, 'GET', '/reviews/1', true],
    [PRODUCTPAGE, 'GET', '/reviews/', true],
    [PRODUCTPAGE, 'GET', '/reviews', false], // the prefix is '/reviews/', as in Istio
    [PRODUCTPAGE, 'GET', '/reviews/1?debug=true', true],
    [PRODUCTPAGE, 'POST', '/reviews/1', false],
    [FRONTEND, 'GET', '/reviews/2', true],
    [PROBE, 'GET', '/reviews/3', true],
    [RATINGS, 'GET', '/reviews/1', false],
    [RATINGS, 'DELETE', '/stats', true], // no methods: any method
    [RATINGS, 'GET', '/stats/', false],
    [RATINGS, 'GET', '/stats?x=1', true],
    [STRANGER, 'GET', '/healthz', true], // '*': any authenticated peer
    [STRANGER, 'GET', '/reviews/1', false],
    [null, 'GET', '/healthz', false], // plaintext never matches, not even '*'
    [null, 'GET', '/reviews/1', false],
    // Path normalisation attacks (CVE-2019-9901-style): never allowed by a path rule.
    [PRODUCTPAGE, 'GET', '/reviews/../admin', false],
    [PRODUCTPAGE, 'GET', '/reviews/%2e%2e/admin', false],
    [PRODUCTPAGE, 'GET', '/reviews/%2E%2E/admin', false],
    [PRODUCTPAGE, 'GET', '/reviews/.%2e/admin', false],
    [PRODUCTPAGE, 'GET', '/reviews/..;/admin', false],
    [PRODUCTPAGE, 'GET', '/reviews/./1', false],
    [PRODUCTPAGE, 'GET', '/reviews%2f..%2fadmin', false],
    [PRODUCTPAGE, 'GET', '/reviews/..%2fadmin', false],
    [PRODUCTPAGE, 'GET', '/reviews/..%5cadmin', false],
    [PRODUCTPAGE, 'GET', '/reviews/..\\admin', false],
    [PRODUCTPAGE, 'GET', '/reviews/%zz', false],
    [PRODUCTPAGE, 'GET', 'http://reviews/reviews/1', false],
    // Equivalent spellings of an allowed path are allowed.
    [PRODUCTPAGE, 'GET', '/%72eviews/1', true],
    [PRODUCTPAGE, 'GET', '/reviews/a%2db', true],
    [PRODUCTPAGE, 'GET', '/reviews//1', true],
    [PRODUCTPAGE, 'GET', '/reviews/...', true], // three dots is a name, not a dot segment
    [PRODUCTPAGE, 'GET', '//reviews/1', false],
  ];
  for (const [principal, method, path, allowed] of cases) {
    test(`${principal ?? 'plaintext'} ${method} ${path} → ${allowed ? 'allow' : 'deny'}`, () => {
      const decision = allowDecision(allow, principal, method, path);
      assert.equal(decision.allowed, allowed);
      assert.equal(decision.audited, false);
      if (!decision.allowed) assert.ok(decision.reason.length > 0);
    });
  }

  test('a rule without paths matches ambiguous paths too (it does not look at the path)', () => {
    const any = compile([{ from: ['ratings'] }]);
    assert.equal(allowDecision(any, RATINGS, 'GET', '/a/../b').allowed, true);
  });

  test('denial reasons say why, without echoing the path', () => {
    assert.deepEqual(allowDecision(allow, null, 'GET', '/healthz'), {
      allowed: false,
      audited: false,
      reason: 'caller has no verified identity (plaintext or no client certificate)',
    });
    assert.deepEqual(allowDecision(allow, STRANGER, 'POST', '/secret'), {
      allowed: false,
      audited: false,
      reason: `no allow rule matches ${STRANGER} POST`,
    });
    assert.deepEqual(allowDecision(allow, PRODUCTPAGE, 'GET', '/reviews/../admin'), {
      allowed: false,
      audited: false,
      reason: `ambiguous request path from ${PRODUCTPAGE} (dot segment, backslash or encoded slash)`,
    });
  });

  test('audit mode lets would-be denials through, marked with the reason', () => {
    const audit = compile([{ from: ['productpage'], paths: ['/reviews/*'] }], 'audit');
    assert.deepEqual(allowDecision(audit, PRODUCTPAGE, 'GET', '/reviews/1'), {
      allowed: true,
      audited: false,
    });
    assert.deepEqual(allowDecision(audit, STRANGER, 'GET', '/reviews/1'), {
      allowed: true,
      audited: true,
      reason: `no allow rule matches ${STRANGER} GET`,
    });
    assert.deepEqual(allowDecision(audit, null, 'GET', '/reviews/1'), {
      allowed: true,
      audited: true,
      reason: 'caller has no verified identity (plaintext or no client certificate)',
    });
  });
});

describe('canonicalRequestPath', () => {
  const cases: Array<[string, string | null]> = [
    ['/reviews/1', '/reviews/1'],
    ['/reviews/1?x=/../y', '/reviews/1'],
    ['/a#frag', '/a'],
    ['/%7Euser/%41', '/~user/A'],
    ['/a%20b/%c3%a9', '/a%20b/%C3%A9'],
    ['/a//b', '/a//b'],
    ['/a/.b/..c/...', '/a/.b/..c/...'],
    ['/a/..', null],
    ['/a/.', null],
    ['/..', null],
    ['/a/%2e/b', null],
    ['/a/..;x=1/b', null],
    ['/a%2Fb', null],
    ['/a%5Cb', null],
    ['/a\\b', null],
    ['/a%', null],
    ['/a%4', null],
    ['/a%g0', null],
    ['*', null],
    ['', null],
    ['http://x/a', null],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(canonicalRequestPath(input), expected);
    });
  }
});
