import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  endpointAddress,
  parseDnsServers,
  parseEndpoint,
  parseEndpointList,
} from '../../../src/discovery/address.ts';

describe('parseEndpoint', () => {
  it('reads IPv4 and bracketed IPv6 with a port, or a bare IP with the default port', () => {
    assert.deepEqual(parseEndpoint('10.1.2.3:9080', null), {
      address: '10.1.2.3',
      port: 9080,
      family: 4,
      authority: '10.1.2.3:9080',
    });
    assert.equal(parseEndpoint('[FD00::1]:80', null).authority, '[fd00::1]:80');
    assert.equal(parseEndpoint('10.0.0.1', 8080).authority, '10.0.0.1:8080');
    assert.equal(parseEndpoint('fd00::2', 8080).authority, '[fd00::2]:8080');
  });

  it('refuses names, missing ports, bad ports and malformed brackets with a message naming the entry', () => {
    for (const [text, pattern] of [
      ['reviews:9080', /not an IP address/],
      ['10.0.0.1', /needs a port/],
      ['10.0.0.1:0', /not a port/],
      ['10.0.0.1:65536', /not a port/],
      ['10.0.0.1:80x', /not a port/],
      ['[fd00::1', /unclosed/],
      ['[10.0.0.1]:80', /not an IPv6/],
      ['[fd00::1]80', /not ':port'/],
      ['', /needs a port/],
      ['[fe80::1%eth0]:80', /not an IPv6/],
    ] as const) {
      assert.throws(() => parseEndpoint(text, null), pattern, text);
    }
  });

  it('refuses IPv6 zone ids, which no URL host can carry', () => {
    assert.throws(() => parseEndpoint('fe80::1%eth0', 80), /not an IP address/);
    assert.throws(() => endpointAddress('fe80::1%eth0', 80), /zone ids are not supported/);
  });

  it('a list folds duplicates and keeps its order', () => {
    const list = parseEndpointList(['10.0.0.2:80', '10.0.0.1:80', '10.0.0.2:80', '10.0.0.2'], 80);
    assert.deepEqual(
      list.map((e) => e.authority),
      ['10.0.0.2:80', '10.0.0.1:80'],
    );
  });

  it('round-trips any IPv4 or IPv6 address and port (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 }), (ip, port) => {
        const e = endpointAddress(ip, port);
        const again = parseEndpoint(e.authority, null);
        return again.authority === e.authority && again.port === port;
      }),
    );
  });

  it('any string either parses to a valid endpoint or throws an Error (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          const e = parseEndpoint(text, 80);
          // `http://<authority>` is what the connection pool parses: a valid URL with this port.
          const url = new URL(`http://${e.authority}`);
          return (e.family === 4 || e.family === 6) && Number(url.port || 80) === e.port;
        } catch (err) {
          return err instanceof Error && !(err instanceof TypeError);
        }
      }),
    );
  });
});

describe('parseDnsServers (MESHLET_DNS_SERVERS)', () => {
  it('reads a comma or space separated list into Resolver.setServers form', () => {
    assert.deepEqual(parseDnsServers('127.0.0.1:5353, [::1]:53  10.96.0.10'), [
      '127.0.0.1:5353',
      '[::1]:53',
      '10.96.0.10:53',
    ]);
  });

  it('a bad value is a one-line error naming the entry', () => {
    assert.throws(
      () => parseDnsServers('kube-dns:53'),
      /MESHLET_DNS_SERVERS: 'kube-dns:53' is not an IP address/,
    );
    assert.throws(
      () => parseDnsServers('127.0.0.1:99999'),
      /MESHLET_DNS_SERVERS: '127.0.0.1:99999'.*not a port/,
    );
    assert.throws(() => parseDnsServers(' , '), /lists no server/);
  });

  it('any string either gives entries that parse again or throws a MESHLET_DNS_SERVERS error (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        try {
          return parseDnsServers(text).every((s) => parseEndpoint(s, null).authority !== '');
        } catch (err) {
          return err instanceof Error && err.message.startsWith('MESHLET_DNS_SERVERS');
        }
      }),
    );
  });
});
