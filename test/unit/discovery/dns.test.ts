import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { after, before, describe, it, mock } from 'node:test';
import fc from 'fast-check';
import { EndpointSet } from '../../../src/balance/endpoint-set.ts';
import type { EndpointAddress } from '../../../src/discovery/address.ts';
import {
  DnsDiscovery,
  type DnsResolver,
  dnsServersFromEnv,
  type RecordWithTtl,
} from '../../../src/discovery/dns.ts';
import { ProxyError } from '../../../src/errors.ts';
import { type DnsServer, dnsmasqMissing, startDnsmasq } from '../../helpers/dnsmasq.ts';
import { seeded } from '../balance/sim.ts';

type Answer = RecordWithTtl[] | string; // a string is an error code

/** A resolver answering from a table the test edits; counts its queries. */
class TableResolver implements DnsResolver {
  v4 = new Map<string, Answer>();
  v6 = new Map<string, Answer>();
  queries = 0;

  resolve4(host: string): Promise<RecordWithTtl[]> {
    return this.#answer(this.v4.get(host) ?? 'ENOTFOUND');
  }

  resolve6(host: string): Promise<RecordWithTtl[]> {
    return this.#answer(this.v6.get(host) ?? 'ENODATA');
  }

  #answer(a: Answer): Promise<RecordWithTtl[]> {
    this.queries++;
    if (typeof a === 'string')
      return Promise.reject(Object.assign(new Error(`query failed ${a}`), { code: a }));
    return Promise.resolve(a.map((r) => ({ ...r })));
  }
}

const names = (list: readonly EndpointAddress[]) => list.map((e) => e.authority);
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};
const records = (ttl: number, ...addresses: string[]) => addresses.map((address) => ({ address, ttl }));

describe('DnsDiscovery (scripted resolver)', () => {
  before(() => mock.timers.enable({ apis: ['setTimeout'] }));
  after(() => mock.timers.reset());

  it('an IP literal host is its one endpoint, with no lookup', async () => {
    const resolver = new TableResolver();
    const dns = new DnsDiscovery({ resolver, systemLookup: null });
    assert.deepEqual(names(dns.source('10.0.0.7', 9080).current()), ['10.0.0.7:9080']);
    assert.deepEqual(names(dns.source('[fd00::7]', 9080).current()), ['[fd00::7]:9080']);
    assert.deepEqual(names(dns.source('fd00::8', 80).current()), ['[fd00::8]:80']);
    await flush();
    assert.equal(resolver.queries, 0);
    assert.deepEqual(dns.hosts, []);
  });

  it('every A and AAAA record is an endpoint, sorted, duplicates folded', async () => {
    const resolver = new TableResolver();
    resolver.v4.set('reviews', records(5, '10.0.0.3', '10.0.0.1', '10.0.0.3'));
    resolver.v6.set('reviews', records(5, 'FD00::1'));
    const dns = new DnsDiscovery({ resolver, systemLookup: null });
    const source = dns.source('reviews', 9080);
    await source.ready;
    assert.deepEqual(names(source.current()), ['10.0.0.1:9080', '10.0.0.3:9080', '[fd00::1]:9080']);
    dns.close();
  });

  it('looks up again when the TTL runs out, held between 1 s and 30 s, and tells subscribers of a change', async () => {
    const resolver = new TableResolver();
    resolver.v4.set('a', records(5, '10.0.0.1'));
    resolver.v4.set('zero', records(0, '10.0.0.1'));
    resolver.v4.set('day', records(86_400, '10.0.0.1'));
    const dns = new DnsDiscovery({ resolver, systemLookup: null });
    const a = dns.source('a', 80);
    const zero = dns.source('zero', 80);
    const day = dns.source('day', 80);
    await Promise.all([a.ready, zero.ready, day.ready]);
    const seen: string[][] = [];
    a.subscribe((list) => seen.push(names(list)));
    const queries = () => resolver.queries;

    // a: 5 s; zero: 1 s; day: 30 s (two queries per lookup: A and AAAA)
    const start = queries();
    mock.timers.tick(999);
    await flush();
    assert.equal(queries(), start, 'nothing before 1 s');
    mock.timers.tick(1);
    await flush();
    assert.equal(queries(), start + 2, 'the TTL-0 host at 1 s');
    resolver.v4.set('a', records(5, '10.0.0.1', '10.0.0.2'));
    mock.timers.tick(4000);
    await flush();
    assert.deepEqual(seen, [['10.0.0.1:80', '10.0.0.2:80']], 'the 5 s host looked up again at 5 s');
    const before30 = queries();
    mock.timers.tick(24_999);
    await flush();
    const zeroAndA = queries() - before30;
    mock.timers.tick(1);
    await flush();
    assert.equal(queries() - before30, zeroAndA + 2, 'the day-long TTL is held to 30 s');
    dns.close();
  });

  it('a failed lookup keeps the last good set and is retried sooner than the TTL', async () => {
    const resolver = new TableResolver();
    resolver.v4.set('r', records(30, '10.0.0.1', '10.0.0.2'));
    const problems: string[] = [];
    const dns = new DnsDiscovery({
      resolver,
      systemLookup: null,
      onProblem: (host, m) => problems.push(`${host}: ${m}`),
    });
    const source = dns.source('r', 80);
    await source.ready;
    for (const failure of ['ETIMEOUT', 'ESERVFAIL', 'ENOTFOUND']) {
      resolver.v4.set('r', failure);
      resolver.v6.set('r', failure === 'ENOTFOUND' ? 'ENOTFOUND' : 'ETIMEOUT');
      mock.timers.tick(30_000);
      await flush();
      assert.deepEqual(names(source.current()), ['10.0.0.1:80', '10.0.0.2:80'], failure);
    }
    assert.match(
      problems.join('\n'),
      /r: lookup failed \(A: ETIMEOUT, AAAA: ETIMEOUT\); keeping 2 endpoints/,
    );
    assert.match(problems.join('\n'), /no A or AAAA records/);
    // Back: picked up at the next retry (1 s, 2 s, 4 s, ... after failures), not after 30 s.
    resolver.v4.set('r', records(30, '10.0.0.3'));
    resolver.v6.set('r', 'ENODATA');
    mock.timers.tick(8_000);
    await flush();
    assert.deepEqual(names(source.current()), ['10.0.0.3:80']);
    dns.close();
  });

  it('a failing AAAA query keeps its old addresses while A answers', async () => {
    const resolver = new TableResolver();
    resolver.v4.set('r', records(1, '10.0.0.1'));
    resolver.v6.set('r', records(1, 'fd00::1'));
    const dns = new DnsDiscovery({ resolver, systemLookup: null });
    const source = dns.source('r', 80);
    await source.ready;
    resolver.v4.set('r', records(1, '10.0.0.2'));
    resolver.v6.set('r', 'ETIMEOUT');
    mock.timers.tick(1000);
    await flush();
    assert.deepEqual(names(source.current()), ['10.0.0.2:80', '[fd00::1]:80']);
    dns.close();
  });

  it('keeps at most maxEndpointsPerHost addresses, the same ones each time', async () => {
    const resolver = new TableResolver();
    resolver.v4.set('big', records(1, '10.0.0.5', '10.0.0.4', '10.0.0.3', '10.0.0.2', '10.0.0.1'));
    const problems: string[] = [];
    const dns = new DnsDiscovery({
      resolver,
      maxEndpointsPerHost: 3,
      onProblem: (_h, m) => problems.push(m),
    });
    const source = dns.source('big', 80);
    await source.ready;
    assert.deepEqual(names(source.current()), ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80']);
    assert.deepEqual(problems, ['5 addresses, keeping the first 3']);
    dns.close();
  });

  it('one lookup per host however many sources; it stops when the last source closes', async () => {
    const resolver = new TableResolver();
    resolver.v4.set('shared', records(1, '10.0.0.1'));
    const dns = new DnsDiscovery({ resolver, systemLookup: null });
    const s1 = dns.source('shared', 80);
    const s2 = dns.source('SHARED', 8080);
    await Promise.all([s1.ready, s2.ready]);
    assert.deepEqual(dns.hosts, ['shared']);
    assert.deepEqual(names(s2.current()), ['10.0.0.1:8080']);
    assert.equal(resolver.queries, 2);
    s1.close();
    mock.timers.tick(1000);
    await flush();
    assert.equal(resolver.queries, 4);
    s2.close();
    assert.deepEqual(dns.hosts, []);
    mock.timers.tick(60_000);
    await flush();
    assert.equal(resolver.queries, 4, 'no lookups once nobody listens');
  });

  it('a name DNS does not know is looked up as the system does (hosts file, search domains), every 5 s', async () => {
    const resolver = new TableResolver();
    const asked: string[] = [];
    let answer = [{ address: '127.0.0.1', family: 4 }];
    const dns = new DnsDiscovery({
      resolver,
      systemLookup: async (host) => {
        asked.push(host);
        return answer;
      },
    });
    const source = dns.source('localhost', 8080);
    await source.ready;
    assert.deepEqual(names(source.current()), ['127.0.0.1:8080']);
    answer = [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
    mock.timers.tick(5000);
    await flush();
    assert.deepEqual(names(source.current()), ['127.0.0.1:8080', '[::1]:8080']);
    assert.deepEqual(asked, ['localhost', 'localhost']);
    dns.close();
  });

  it('a system lookup that fails too keeps the last good set', async () => {
    const resolver = new TableResolver();
    resolver.v4.set('r', records(1, '10.0.0.1'));
    const problems: string[] = [];
    const dns = new DnsDiscovery({
      resolver,
      systemLookup: () => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' })),
      onProblem: (_h, m) => problems.push(m),
    });
    const source = dns.source('r', 80);
    await source.ready;
    resolver.v4.delete('r');
    mock.timers.tick(1000);
    await flush();
    assert.deepEqual(names(source.current()), ['10.0.0.1:80']);
    assert.deepEqual(problems, ['lookup failed (system lookup: ENOTFOUND); keeping 1 endpoints']);
    dns.close();
  });

  it('any answer gives only valid addresses, at most the maximum, and a next lookup between 1 s and 30 s (property)', async () => {
    const record = fc.record({
      address: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })),
      ttl: fc.oneof(
        fc.integer({ min: -5, max: 200_000 }),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 0.4),
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 12 }),
        fc.array(record, { maxLength: 12 }),
        async (a, aaaa) => {
          const resolver = new TableResolver();
          resolver.v4.set('h', a);
          resolver.v6.set('h', aaaa);
          const dns = new DnsDiscovery({ resolver, systemLookup: null, maxEndpointsPerHost: 4 });
          try {
            const source = dns.source('h', 80);
            await source.ready;
            const list = source.current();
            if (list.length > 4) return false;
            if (!list.every((e) => isIP(e.address) === e.family)) return false;
            const queries = resolver.queries;
            mock.timers.tick(999);
            await flush();
            if (resolver.queries !== queries) return false;
            mock.timers.tick(29_001);
            await flush();
            return resolver.queries > queries;
          } finally {
            dns.close();
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a subscriber that throws does not stop the lookups', async () => {
    const resolver = new TableResolver();
    resolver.v4.set('r', records(1, '10.0.0.1'));
    const problems: string[] = [];
    const dns = new DnsDiscovery({ resolver, systemLookup: null, onProblem: (_h, m) => problems.push(m) });
    const source = dns.source('r', 80);
    await source.ready;
    source.subscribe(() => {
      throw new Error('boom');
    });
    resolver.v4.set('r', records(1, '10.0.0.2'));
    mock.timers.tick(1000);
    await flush();
    resolver.v4.set('r', records(1, '10.0.0.3'));
    mock.timers.tick(1000);
    await flush();
    assert.deepEqual(names(source.current()), ['10.0.0.3:80']);
    assert.match(problems.join('\n'), /endpoint listener failed: boom/);
    dns.close();
  });
});

describe('MESHLET_DNS_SERVERS', () => {
  it('unset is the system resolver; set is parsed; bad is an error', () => {
    assert.equal(dnsServersFromEnv({}), null);
    assert.deepEqual(dnsServersFromEnv({ MESHLET_DNS_SERVERS: '127.0.0.1:5353' }), ['127.0.0.1:5353']);
    assert.throws(() => dnsServersFromEnv({ MESHLET_DNS_SERVERS: 'dns.local' }), /not an IP address/);
  });
});

describe('DnsDiscovery against a real dnsmasq', { skip: dnsmasqMissing() ?? false }, () => {
  const HOST = 'reviews-v1.test';
  let server: DnsServer;
  let dns: DnsDiscovery;

  before(async () => {
    server = await startDnsmasq({ [HOST]: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] }, { ttl: 1 });
    dns = new DnsDiscovery({ servers: [server.address] });
  });
  after(async () => {
    dns?.close();
    await server?.stop();
  });

  /** Polls until `predicate` holds; returns the time it took. */
  async function within(ms: number, predicate: () => boolean, what: string): Promise<number> {
    const start = performance.now();
    while (!predicate()) {
      if (performance.now() - start > ms) assert.fail(`${what} not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return performance.now() - start;
  }

  it('feeding an endpoint set: a removed address gets no new picks within TTL + 2 s while its in-flight request finishes', async () => {
    const host = 'ratings-v1.test';
    await server.setRecords({
      [HOST]: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
      [host]: ['127.0.0.2', '127.0.0.3'],
    });
    const source = dns.source(host, 9080);
    await source.ready;
    const set = new EndpointSet('ratings', 'v1', { random: seeded(2) });
    set.update(source.current());
    source.subscribe((list) => set.update(list));
    let held = set.pick();
    while (!(held instanceof ProxyError) && held.address.authority !== '127.0.0.3:9080') {
      set.report(held.key, 'success', 1);
      held = set.pick();
    }
    assert.ok(!(held instanceof ProxyError));

    await server.setRecords({
      [HOST]: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
      [host]: ['127.0.0.2', '127.0.0.6'],
    });
    await within(
      3000,
      () => set.snapshot().endpoints.some((e) => e.address === '127.0.0.6:9080'),
      'added endpoint',
    );
    const picked = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const e = set.pick();
      assert.ok(!(e instanceof ProxyError));
      picked.add(e.address.authority);
      set.report(e.key, 'success', 1);
    }
    assert.deepEqual([...picked].sort(), ['127.0.0.2:9080', '127.0.0.6:9080']);
    assert.equal(set.snapshot().endpoints.find((e) => e.address === '127.0.0.3:9080')?.state, 'draining');
    set.report(held.key, 'success', 1);
    assert.equal(set.snapshot().endpoints.length, 2, 'drained endpoint forgotten');
    source.close();
  });

  it('resolves every A record of the host, then follows edits within TTL + 2 s, and keeps the set when the server dies', async (t) => {
    const source = dns.source(HOST, 9080);
    await source.ready;
    assert.deepEqual(names(source.current()), ['127.0.0.2:9080', '127.0.0.3:9080', '127.0.0.4:9080']);
    const changes: string[][] = [];
    source.subscribe((list) => changes.push(names(list)));

    await server.setRecords({ [HOST]: ['127.0.0.2', '127.0.0.3'] });
    const gone = await within(
      3000,
      () => !names(source.current()).includes('127.0.0.4:9080'),
      'removed address gone',
    );

    await server.setRecords({ [HOST]: ['127.0.0.2', '127.0.0.3', '127.0.0.5'] });
    const added = await within(
      3000,
      () => names(source.current()).includes('127.0.0.5:9080'),
      'added address present',
    );
    t.diagnostic(
      `after SIGHUP: removed address gone in ${gone.toFixed(0)} ms, added one present in ${added.toFixed(0)} ms`,
    );
    assert.deepEqual(changes, [
      ['127.0.0.2:9080', '127.0.0.3:9080'],
      ['127.0.0.2:9080', '127.0.0.3:9080', '127.0.0.5:9080'],
    ]);

    await server.stop();
    // Several lookups fail (each after the resolver's timeout); the set stays.
    await new Promise((r) => setTimeout(r, 4000));
    assert.deepEqual(names(source.current()), ['127.0.0.2:9080', '127.0.0.3:9080', '127.0.0.5:9080']);
    source.close();
  });
});
