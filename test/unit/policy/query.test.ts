import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type CompiledQueryMatch,
  compileQueryMatch,
  queryMatches,
  queryParam,
  type RawQueryMatch,
} from '../../../src/policy/query.ts';

function match(raw: RawQueryMatch): CompiledQueryMatch {
  const r = compileQueryMatch(raw);
  assert.ok(r.ok && r.value !== null, JSON.stringify(r));
  return r.value;
}

describe('queryParam', () => {
  it('finds the first value, decodes escapes, treats a bare name as empty', () => {
    assert.equal(queryParam('/p?a=1&b=2&a=3', 'a'), '1');
    assert.equal(queryParam('/p?a=1&b=2', 'b'), '2');
    assert.equal(queryParam('/p?flag&b=2', 'flag'), '');
    assert.equal(queryParam('/p?na%6De=J%C3%A9r%C3%B4me', 'name'), 'Jérôme');
    assert.equal(queryParam('/p?q=a+b', 'q'), 'a+b');
    assert.equal(queryParam('/p?x=%zz', 'x'), '%zz', 'a malformed escape stays as sent');
    assert.equal(queryParam('/p?a=1#a=2', 'a'), '1');
    assert.equal(queryParam('/p?b=1#&a=2', 'a'), undefined, 'the fragment is not part of the query');
    assert.equal(queryParam('/p', 'a'), undefined);
    assert.equal(queryParam('/p?&&a=x=y', 'a'), 'x=y');
  });

  it('never throws and agrees with URLSearchParams on well-formed queries (property)', () => {
    const part = fc.stringMatching(/^[a-z0-9%+]{0,6}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(part, part), { maxLength: 6 }), part, (pairs, name) => {
        const target = `/p?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
        const got = queryParam(target, name);
        let wellFormed = true;
        try {
          decodeURIComponent(target);
        } catch {
          wellFormed = false;
        }
        if (wellFormed && !target.includes('+') && name !== '') {
          const want = new URLSearchParams(target.slice(3)).get(name);
          assert.equal(got, want ?? undefined);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('compileQueryMatch', () => {
  it('needs exactly one of exact or regex, and a valid RE2 regex', () => {
    const r = compileQueryMatch({
      a: {},
      b: { exact: 'x', regex: 'y' },
      c: { regex: '(?=x)' },
      d: { exact: 'ok' },
    });
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => i.path.join('.')),
      ['a', 'b', 'c.regex'],
    );
    assert.match(r.issues[2]!.message, /RE2 syntax/);
  });
});

describe('queryMatches', () => {
  it('exact, case-sensitive values; every listed parameter must be present and match', () => {
    const m = match({ animal: { exact: 'whale' }, color: { exact: 'blue' } });
    assert.equal(queryMatches(m, '/?animal=whale&color=blue'), true);
    assert.equal(queryMatches(m, '/?color=blue&animal=whale&x=1'), true);
    assert.equal(queryMatches(m, '/?animal=Whale&color=blue'), false);
    assert.equal(queryMatches(m, '/?animal=whale'), false);
    assert.equal(queryMatches(m, '/'), false);
    assert.equal(queryMatches(m, '/?Animal=whale&color=blue'), false, 'names are case-sensitive');
  });

  it('regex is a full match (RE2), as route regexes are', () => {
    const m = match({ v: { regex: 'v[0-9]+' } });
    assert.equal(queryMatches(m, '/?v=v12'), true);
    assert.equal(queryMatches(m, '/?v=v12x'), false);
    assert.equal(queryMatches(m, '/?v=%76%31'), true, 'escapes are decoded first');
  });
});
