// compileRegex checks a pattern when the config loads and compiles it for
// matching on first use: the answers must be those of a pattern compiled
// at once, full match, for any input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { compileRegex } from '../../../src/config/regex.ts';

describe('compileRegex', () => {
  it('refuses an invalid pattern at once, naming it and the RE2 syntax', () => {
    const re = compileRegex('/items/(?=x)');
    assert.equal(re.ok, false);
    assert.match(re.ok ? '' : re.message, /^invalid regex `\/items\/\(\?=x\)`: .*RE2 syntax/);
  });

  it('matches the whole value only', () => {
    const re = compileRegex('/api/[0-9]+');
    assert.ok(re.ok);
    assert.equal(re.test('/api/42'), true);
    assert.equal(re.test('/api/42/x'), false);
    assert.equal(re.test('x/api/42'), false);
  });

  it('answers as the pattern compiled at once, for any pattern and input', () => {
    const patterns = fc.constantFrom('[a-c]+', 'a|bc', '(ab)*c?', '.{0,3}', '[^/]+/x', '\\d\\d?', '');
    fc.assert(
      fc.property(patterns, fc.array(fc.string({ maxLength: 8 }), { maxLength: 5 }), (pattern, inputs) => {
        const lazy = compileRegex(pattern);
        assert.ok(lazy.ok);
        const eager = RE2JS.compile(pattern);
        for (const input of inputs) assert.equal(lazy.test(input), eager.testExact(input), input);
      }),
    );
  });
});
