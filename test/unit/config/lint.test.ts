// Warnings for configs that load but are almost certainly wrong, each
// checked to fire on the mistake and to stay quiet on the correct form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { closest, editDistance, isCatchAll, lintMesh } from '../../../src/config/lint.ts';
import { loadMeshText } from '../../../src/config/load.ts';

const self = { service: 'x', workload: 'x', namespace: 'shop', version: 'v1', serviceAccount: 'x' };

function lint(text: string) {
  const loaded = loadMeshText(text, 'mesh.yaml', self);
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  return lintMesh(loaded.mesh).map((w) => [w.path.join('.'), w.message]);
}

const svc = (body: string) =>
  `services:\n  productpage:\n    versions: { v1: { host: pp } }\n  reviews:\n    versions: { v1: { host: r1 }, v2: { host: r2 } }\n${body}`;

describe('lintMesh', () => {
  it('is quiet on a correct config', () => {
    assert.deepEqual(
      lint(
        svc(
          '    routes:\n      - match: { path: { prefix: /api } }\n        split: { v2: 1 }\n      - split: { v1: 1 }\n    allow:\n      - from: [productpage, ns/ops/sa/backup, "spiffe://cluster.local/ns/a/sa/b", "*"]\n',
        ),
      ),
      [],
    );
    // No routes at all: traffic spreads over the versions, nothing to warn about.
    assert.deepEqual(lint(svc('')), []);
  });

  it('warns when no route matches every request', () => {
    assert.deepEqual(lint(svc('    routes:\n      - match: { method: GET }\n        split: { v1: 1 }\n')), [
      [
        'services.reviews.routes',
        "service 'reviews' has no default route: a request that matches none of its 1 route gets 404 NR; end the list with a route without `match`",
      ],
    ]);
  });

  it('warns for every route after a catch-all, and counts an empty match as catch-all', () => {
    const warnings = lint(
      svc(
        '    routes:\n      - name: all\n        match: {}\n        split: { v1: 1 }\n      - match: { method: GET }\n        split: { v2: 1 }\n      - name: late\n        split: { v2: 1 }\n',
      ),
    );
    assert.deepEqual(warnings, [
      [
        'services.reviews.routes.1',
        "route 1 of 'reviews' can never match: route 0 ('all') before it matches every request; move it above",
      ],
      [
        'services.reviews.routes.2',
        "route 2 ('late') of 'reviews' can never match: route 0 ('all') before it matches every request; move it above",
      ],
    ]);
  });

  it('warns on an allow rule naming an unlisted service, with a did-you-mean', () => {
    assert.deepEqual(lint(svc('    allow:\n      - from: [prodcutpage, reveiws, frontend]\n')), [
      [
        'services.reviews.allow.0.from.0',
        "'prodcutpage' is not a service in this config, so it only matches service account 'prodcutpage' in namespace 'shop'; did you mean 'productpage'?",
      ],
      [
        'services.reviews.allow.0.from.1',
        "'reveiws' is not a service in this config, so it only matches service account 'reveiws' in namespace 'shop'; did you mean 'reviews'?",
      ],
      [
        'services.reviews.allow.0.from.2',
        "'frontend' is not a service in this config, so it only matches service account 'frontend' in namespace 'shop'; list the service, or write ns/<namespace>/sa/<account>",
      ],
    ]);
  });
});

describe('isCatchAll', () => {
  it('is true without conditions and false with any', () => {
    assert.equal(isCatchAll({ split: { v1: 1 } }), true);
    assert.equal(isCatchAll({ match: {}, split: { v1: 1 } }), true);
    assert.equal(isCatchAll({ match: { headers: {} }, split: { v1: 1 } }), true);
    assert.equal(isCatchAll({ match: { method: 'GET' }, split: { v1: 1 } }), false);
    assert.equal(isCatchAll({ match: { path: { prefix: '/' } }, split: { v1: 1 } }), false);
  });
});

describe('closest / editDistance', () => {
  it('suggests near names only', () => {
    assert.equal(closest('prodcutpage', ['reviews', 'productpage']), 'productpage');
    assert.equal(closest('ratngs', ['ratings', 'reviews']), 'ratings');
    assert.equal(closest('frontend', ['ratings', 'reviews']), null);
    assert.equal(closest('a', []), null);
  });

  it('is a metric: zero only on equal strings, symmetric, one per adjacent swap', () => {
    const word = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(word, word, (a, b) => {
        const d = editDistance(a, b);
        assert.equal(d === 0, a === b);
        assert.equal(d, editDistance(b, a));
        assert.ok(d <= Math.max(a.length, b.length));
      }),
      { seed: 13, numRuns: 300 },
    );
    assert.equal(editDistance('ab', 'ba'), 1);
  });
});
