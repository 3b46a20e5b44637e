import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  isWorkloadIdIn,
  parseSpiffeId,
  spiffeIdOfCertificate,
  workloadSpiffeId,
} from '../../../src/tls/spiffe.ts';
import { createPki, id, type Pki, TD } from './pki.ts';

describe('parseSpiffeId', () => {
  const cases: Array<[string, { trustDomain: string; path: string } | null]> = [
    [
      'spiffe://cluster.local/ns/default/sa/reviews',
      { trustDomain: 'cluster.local', path: '/ns/default/sa/reviews' },
    ],
    ['spiffe://cluster.local', { trustDomain: 'cluster.local', path: '' }],
    ['spiffe://td/a_b-c.d', { trustDomain: 'td', path: '/a_b-c.d' }],
    ['SPIFFE://cluster.local/ns/a/sa/b', null],
    ['spiffe://Cluster.local/ns/a/sa/b', null],
    ['spiffe://cluster.local:8443/ns/a/sa/b', null],
    ['spiffe://user@cluster.local/ns/a/sa/b', null],
    ['spiffe://cluster.local/ns/a/sa/b/', null],
    ['spiffe://cluster.local/ns//sa/b', null],
    ['spiffe://cluster.local/ns/../sa/b', null],
    ['spiffe://cluster.local/ns/./sa/b', null],
    ['spiffe://cluster.local/ns/a/sa/b?x=1', null],
    ['spiffe://cluster.local/ns/a/sa/b#f', null],
    ['spiffe://cluster.local/ns/a%2Fb/sa/c', null],
    ['spiffe:///ns/a/sa/b', null],
    ['https://cluster.local/ns/a/sa/b', null],
    [`spiffe://cluster.local/${'a'.repeat(2048)}`, null],
  ];
  for (const [input, expected] of cases) {
    test(`${input.slice(0, 60)} → ${expected === null ? 'invalid' : 'valid'}`, () => {
      assert.deepEqual(parseSpiffeId(input), expected);
    });
  }

  test('workload IDs and trust-domain membership', () => {
    assert.equal(
      workloadSpiffeId('cluster.local', 'shop', 'frontend'),
      'spiffe://cluster.local/ns/shop/sa/frontend',
    );
    assert.equal(isWorkloadIdIn('spiffe://cluster.local/ns/a/sa/b', 'cluster.local'), true);
    assert.equal(isWorkloadIdIn('spiffe://cluster.local/ns/a/sa/b', 'evil.local'), false);
    assert.equal(isWorkloadIdIn('spiffe://cluster.local', 'cluster.local'), false);
    // A trust domain that merely starts with ours is another trust domain.
    assert.equal(isWorkloadIdIn('spiffe://cluster.local.evil/ns/a/sa/b', 'cluster.local'), false);
  });
});

describe('spiffeIdOfCertificate', () => {
  let pki: Pki;
  before(async () => {
    pki = await createPki();
  });
  after(() => pki.cleanup());

  const der = (pem: string): Buffer => new X509Certificate(pem).raw;

  test('reads the single URI SAN of an X.509-SVID', async () => {
    const leaf = await pki.leaf({ spiffeId: id('reviews'), dnsNames: ['reviews.default.svc'] });
    assert.equal(spiffeIdOfCertificate(der(leaf.certPem)), id('reviews'));
  });

  test('no identity: no URI SAN, several URI SANs, a non-SPIFFE or trust-domain-only URI', async () => {
    for (const uris of [[], [id('a'), id('b')], ['https://cluster.local/ns/a/sa/b'], [`spiffe://${TD}`]]) {
      const leaf = await pki.leaf({ uris, dnsNames: ['x.example'] });
      assert.equal(spiffeIdOfCertificate(der(leaf.certPem)), null, JSON.stringify(uris));
    }
  });

  test('garbage is not a certificate, and has no identity', () => {
    assert.equal(spiffeIdOfCertificate(Buffer.from('not a certificate')), null);
  });
});
