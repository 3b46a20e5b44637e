// Golden files: test/fixtures/inject/<case>.in.yaml → <case>.out.yaml (and
// <case>.warnings.txt when injection warns). UPDATE_GOLDEN=1 rewrites them.
// Every output document is also validated against the Kubernetes schemas,
// and injecting the output again must change nothing.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { injectManifests } from '../../../src/inject/manifest.ts';
import { DEFAULT_INJECT_OPTIONS, type InjectOptions } from '../../../src/inject/sidecar.ts';
import { duplicateContainerNames, validateObject } from '../../tools/k8s-schema.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/inject');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function optionsFor(name: string): InjectOptions {
  const file = path.join(FIXTURES, `${name}.options.json`);
  const overrides = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<InjectOptions>)
    : {};
  return { ...DEFAULT_INJECT_OPTIONS, meshletVersion: '0.1.0', ...overrides };
}

type PodSpecLike = Parameters<typeof duplicateContainerNames>[0];
interface Workload {
  kind?: string;
  items?: Workload[];
  spec?: PodSpecLike & {
    template?: { spec: PodSpecLike };
    jobTemplate?: { spec: { template: { spec: PodSpecLike } } };
  };
}

function podSpecs(object: Workload): PodSpecLike[] {
  if (object.kind === 'List') return (object.items ?? []).flatMap(podSpecs);
  if (object.kind === 'Pod' && object.spec) return [object.spec];
  if (object.kind === 'CronJob' && object.spec?.jobTemplate)
    return [object.spec.jobTemplate.spec.template.spec];
  return object.spec?.template === undefined ? [] : [object.spec.template.spec];
}

const cases = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.in.yaml'))
  .map((f) => f.slice(0, -'.in.yaml'.length))
  .sort();

describe('meshlet inject golden files', () => {
  it('has the fixtures the brief names', () => {
    for (const name of [
      'already-injected',
      'cronjob',
      'host-network',
      'multi-doc',
      'opt-out',
      'statefulset',
    ]) {
      assert.ok(cases.includes(name), `missing fixture ${name}`);
    }
  });

  it('copies documents without a pod template byte for byte, comments included', () => {
    const input = readFileSync(path.join(FIXTURES, 'multi-doc.in.yaml'), 'utf8');
    const { output } = injectManifests(input, optionsFor('multi-doc'));
    const untouched = input.split(/^---\n/m).filter((doc) => !/^kind: Deployment$/m.test(doc));
    assert.equal(untouched.length, 3);
    for (const doc of untouched) assert.ok(output.includes(doc), `not copied verbatim:\n${doc}`);
    assert.match(output, /^# the workload$/m);
  });

  for (const name of cases) {
    it(name, async () => {
      const input = readFileSync(path.join(FIXTURES, `${name}.in.yaml`), 'utf8');
      const options = optionsFor(name);
      const result = injectManifests(input, options);
      const outFile = path.join(FIXTURES, `${name}.out.yaml`);
      const warnFile = path.join(FIXTURES, `${name}.warnings.txt`);
      const warnings = result.warnings.map((w) => `${w}\n`).join('');
      if (UPDATE) {
        writeFileSync(outFile, result.output);
        if (warnings === '') rmSync(warnFile, { force: true });
        else writeFileSync(warnFile, warnings);
      }
      assert.equal(
        result.output,
        readFileSync(outFile, 'utf8'),
        `${name}.out.yaml differs (UPDATE_GOLDEN=1 to accept)`,
      );
      assert.equal(
        warnings,
        existsSync(warnFile) ? readFileSync(warnFile, 'utf8') : '',
        `${name} warnings differ`,
      );

      for (const doc of parseAllDocuments(result.output) as ReturnType<typeof parseAllDocuments> &
        unknown[]) {
        assert.deepEqual(doc.errors, []);
        const object = doc.toJS() as Workload | null;
        if (object === null) continue;
        await validateObject(object);
        for (const spec of podSpecs(object)) {
          assert.deepEqual(duplicateContainerNames(spec), [], `${name}: duplicate container names`);
        }
      }

      const again = injectManifests(result.output, options);
      assert.equal(again.output, result.output, `${name}: injecting twice changed the output`);
      assert.equal(again.injected, 0);
    });
  }
});
