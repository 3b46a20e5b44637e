// Releasing the node binary's resident pages: which mappings may be released
// (from smaps text, including generated ones), and, in a child process, that
// the process keeps computing the same results after releasing them while
// its resident file pages fall.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { releasableMappings } from '../../../src/runtime/file-pages.ts';

const ADDON = fileURLToPath(new URL('../../../native/linux/build/Release/file_pages.node', import.meta.url));
const BUILD = fileURLToPath(new URL('../../../native/linux/build.mjs', import.meta.url));
const WORKLOAD = fileURLToPath(new URL('../../fixtures/file-pages/workload.ts', import.meta.url));

interface Mapping {
  start: number;
  pages: number;
  perms: string;
  path: string;
  rss: number;
  anonymous: number;
  privateDirty: number;
  sharedDirty: number;
}

function smapsOf(mappings: Mapping[]): string {
  return mappings
    .map((m) =>
      [
        `${m.start.toString(16)}-${(m.start + m.pages * 4096).toString(16)} ${m.perms} 00000000 08:01 1234 ${' '.repeat(20)}${m.path}`.trimEnd(),
        `Size:               ${m.pages * 4} kB`,
        `Rss:                ${m.rss} kB`,
        `Shared_Dirty:       ${m.sharedDirty} kB`,
        `Private_Dirty:      ${m.privateDirty} kB`,
        `Anonymous:          ${m.anonymous} kB`,
        'VmFlags: rd ex mr mw me sd',
      ].join('\n'),
    )
    .join('\n');
}

const base: Mapping = {
  start: 0x55d4_0000_0000,
  pages: 256,
  perms: 'r-xp',
  path: '/usr/bin/node',
  rss: 1024,
  anonymous: 0,
  privateDirty: 0,
  sharedDirty: 0,
};

describe('releasableMappings', () => {
  it('takes read-only private file mappings without anonymous pages, and nothing else', () => {
    const at = (i: number, m: Partial<Mapping>): Mapping => ({
      ...base,
      start: base.start + i * 0x100_0000,
      ...m,
    });
    const smaps = smapsOf([
      at(0, {}), // code
      at(1, { perms: 'r--p' }), // read-only data, snapshot, ICU
      at(2, { perms: 'r--p', anonymous: 8, privateDirty: 8 }), // RELRO: written, then protected
      at(3, { perms: 'rw-p', anonymous: 64, privateDirty: 64 }), // .data
      at(4, { perms: 'rw-p', path: '[heap]' }),
      at(5, { perms: 'r-xp', path: '' }), // anonymous (JIT code)
      at(6, { perms: 'r-xs', path: '/dev/shm/x' }), // shared
      at(7, { path: '/tmp/gone.so (deleted)' }),
      at(8, { path: '[vdso]' }),
      at(9, { rss: 0 }), // nothing resident
      at(10, { perms: 'r--p', path: '/usr/lib/x86_64-linux-gnu/libc.so.6', rss: 300 }),
    ]);
    const got = releasableMappings(smaps);
    assert.deepEqual(
      got.map((m) => [m.start - base.start, m.path, m.rssBytes]),
      [
        [0, '/usr/bin/node', 1024 * 1024],
        [0x100_0000, '/usr/bin/node', 1024 * 1024],
        [0xa00_0000, '/usr/lib/x86_64-linux-gnu/libc.so.6', 300 * 1024],
      ],
    );
    assert.ok(got.every((m) => m.length === 256 * 4096));
  });

  it('never takes a mapping that is writable, anonymous, shared, dirty or holds copy-on-write pages (generated smaps)', () => {
    const mapping = fc.record({
      pages: fc.integer({ min: 1, max: 4096 }),
      perms: fc
        .tuple(
          fc.constantFrom('r', '-'),
          fc.constantFrom('w', '-'),
          fc.constantFrom('x', '-'),
          fc.constantFrom('p', 's'),
        )
        .map((p) => p.join('')),
      path: fc.constantFrom(
        '',
        '/usr/bin/node',
        '[heap]',
        '[stack]',
        '/lib/libc.so.6 (deleted)',
        '/x y/lib.so',
        '[anon:v8]',
      ),
      rss: fc.integer({ min: 0, max: 65536 }),
      anonymous: fc.constantFrom(0, 0, 4, 1024),
      privateDirty: fc.constantFrom(0, 0, 4),
      sharedDirty: fc.constantFrom(0, 0, 4),
    });
    fc.assert(
      fc.property(fc.array(mapping, { maxLength: 30 }), (drawn) => {
        let start = base.start;
        const mappings = drawn.map((m) => {
          const placed = { ...m, start };
          start += (m.pages + 1) * 4096;
          return placed;
        });
        const got = releasableMappings(smapsOf(mappings));
        const byStart = new Map(mappings.map((m) => [m.start, m]));
        for (const r of got) {
          const m = byStart.get(r.start);
          assert.ok(m !== undefined, 'a mapping that exists');
          assert.equal(r.length, m.pages * 4096);
          assert.equal(m.perms[1], '-', 'not writable');
          assert.equal(m.perms[3], 'p', 'private');
          assert.ok(m.path.startsWith('/') && !m.path.endsWith('(deleted)'), m.path);
          assert.equal(m.anonymous + m.privateDirty + m.sharedDirty, 0);
          assert.ok(m.rss > 0);
        }
        const expected = mappings.filter(
          (m) =>
            m.perms[1] === '-' &&
            m.perms[3] === 'p' &&
            m.path.startsWith('/') &&
            !m.path.endsWith('(deleted)') &&
            m.anonymous + m.privateDirty + m.sharedDirty === 0 &&
            m.rss > 0,
        );
        assert.equal(got.length, expected.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('releasing file pages in a running process', {
  skip: process.platform === 'linux' ? false : 'madvise and /proc/self/smaps are Linux-only',
}, () => {
  before(() => {
    // `npm ci` builds it; a fresh checkout without install gets it here.
    if (!existsSync(ADDON)) spawnSync(process.execPath, [BUILD], { stdio: 'inherit' });
  });

  it('keeps computing the same results (crypto, TLS, zlib, Intl, regexps) while its resident file pages fall', () => {
    assert.ok(existsSync(ADDON), `addon missing at ${ADDON}`);
    const child = spawnSync(process.execPath, [WORKLOAD], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const report = JSON.parse(child.stdout) as {
      rounds: number;
      same: boolean;
      fileMiB: { before: number; afterRelease: number; afterWork: number };
      releasedMiB: number;
    };
    process.stdout.write(`# ${JSON.stringify(report)}\n`);
    assert.equal(report.same, true, 'every round computed what the first did');
    assert.ok(report.releasedMiB > 20, `released ${report.releasedMiB} MiB`);
    assert.ok(
      report.fileMiB.afterRelease < report.fileMiB.before - 20,
      `resident file pages ${report.fileMiB.before} -> ${report.fileMiB.afterRelease} MiB`,
    );
  });
});
