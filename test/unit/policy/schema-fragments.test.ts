// The schema fragments merged into config/mesh.schema.json accept every
// example in docs/traffic-policy.md, and those examples compile; shapes the
// schema must refuse are refused. Keeps the docs, the fragments and the
// compilers from drifting apart before the wiring step merges them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { type AllowContext, principalOf } from '../../../src/authz/allow.ts';
import { compileRateLimit, type RawRateLimit } from '../../../src/policy/rate-limit.ts';
import { compileRoutePolicy, type RawRoutePolicy } from '../../../src/policy/route-policy.ts';

// biome-ignore lint/suspicious/noExplicitAny: walks parsed JSON and YAML whose shape the schema checks
type Json = Record<string, any>;

function read(path: string): string {
  return readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
}

function mergedSchema(): Json {
  const schema = JSON.parse(read('config/mesh.schema.json')) as Json;
  const fragments = JSON.parse(read('src/policy/schema-fragments.json')) as Json;
  Object.assign(schema.definitions, fragments.definitions);
  const route = schema.definitions.route;
  Object.assign(route.properties, fragments.routeProperties);
  Object.assign(route.properties.match.properties, fragments.routeMatchProperties);
  route.required = route.required.filter((k: string) => k !== 'split');
  route.anyOf = [{ required: ['split'] }, { required: ['redirect'] }];
  Object.assign(schema.definitions.service.properties, fragments.serviceProperties);
  return schema;
}

const validate = new Ajv({ allErrors: true, strict: false }).compile(mergedSchema());

function examples(): Json[] {
  const docs = read('docs/traffic-policy.md');
  return [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Json);
}

describe('traffic-policy schema fragments', () => {
  it('accept and compile every mesh.yaml example in docs/traffic-policy.md', () => {
    const docs = examples();
    assert.equal(docs.length, 7);
    for (const doc of docs) {
      assert.ok(validate(doc), JSON.stringify(validate.errors));
      for (const [name, service] of Object.entries(doc.services as Json)) {
        const ctx: AllowContext = {
          trustDomain: 'cluster.local',
          sidecarNamespace: 'default',
          services: new Map(),
        };
        const versions = new Set(Object.keys(service.versions));
        const rate = compileRateLimit(service.rateLimit as RawRateLimit | undefined, (e) =>
          principalOf(e, ctx),
        );
        assert.ok(rate.ok, `${name}: ${JSON.stringify(!rate.ok && rate.issues)}`);
        for (const route of service.routes ?? []) {
          const prefix = route.match?.path?.prefix ?? null;
          const r = compileRoutePolicy(route as RawRoutePolicy, { versions, routePrefix: prefix });
          assert.ok(r.ok, `${name}: ${JSON.stringify(!r.ok && r.issues)}`);
        }
      }
    }
  });

  it('refuse shapes the compilers never see', () => {
    const bad: Json[] = [
      { fault: { abort: { percent: 10 } } },
      { fault: { abort: { percent: 10, status: 503, grpcStatus: 'unavailable' } } },
      { fault: { delay: { percent: 101, duration: '1s' } } },
      { fault: { abort: { percent: 1, grpcStatus: 'ok' } } },
      { mirror: { percent: 10 } },
      { headers: { request: { set: { 'bad name': 'x' } } } },
      { redirect: { status: 300 } },
      { rewrite: {} },
      { match: { query: { a: { exact: 'x', regex: 'y' } } } },
    ];
    for (const route of bad) {
      const doc = {
        services: { a: { versions: { v1: { host: 'a' } }, routes: [{ split: { v1: 1 }, ...route }] } },
      };
      assert.equal(validate(doc), false, JSON.stringify(route));
    }
    const noSplit = { services: { a: { versions: { v1: { host: 'a' } }, routes: [{ name: 'x' }] } } };
    assert.equal(validate(noSplit), false, 'a route needs split or redirect');
    const rate = { services: { a: { rateLimit: { requestsPerSecond: 0 } } } };
    assert.equal(validate(rate), false);
  });
});
