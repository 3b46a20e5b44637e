// Finding the mesh config inside real artefacts, and mapping its positions
// back to the file: a property test over random configs embedded in a
// ConfigMap and in Helm values checks that every mapped position points at
// the same character the plain mesh.yaml has there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { meshSourcesOf, positionOfPath } from '../../../src/config/artefacts.ts';

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const meshText = fc
  .dictionary(
    name,
    fc.record({
      port: fc.integer({ min: 1, max: 65535 }),
      versions: fc.dictionary(name, fc.record({ host: name }), { minKeys: 1, maxKeys: 3 }),
      timeout: fc.constantFrom('5s', '250ms', 'soon'),
    }),
    { minKeys: 1, maxKeys: 4 },
  )
  .chain((services) =>
    fc
      .constantFrom({ flow: false }, { flow: true })
      .map(({ flow }) =>
        stringify(
          { mtls: 'strict', services },
          { flowCollectionPadding: true, collectionStyle: flow ? 'flow' : 'block' },
        ),
      ),
  );

const indent = (text: string, n: number) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => (l === '' ? l : `${' '.repeat(n)}${l}`))
    .join('\n');

const asConfigMap = (text: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: meshlet-mesh\ndata:\n  other: x\n  mesh.yaml: |\n${indent(text, 4)}\n`;
const asHelmValues = (text: string) =>
  `image:\n  tag: "1"\n# the mesh\nmesh:\n${indent(text, 2)}\nwebhook:\n  replicas: 2\n`;

/** Every position of a visible character in `text`. */
function positions(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  text.split('\n').forEach((line, i) => {
    for (let c = 0; c < line.length; c++) if (line[c] !== ' ') out.push([i + 1, c + 1]);
  });
  return out;
}

describe('meshSourcesOf', () => {
  for (const [kind, wrap] of [
    ['configmap', asConfigMap],
    ['helm-values', asHelmValues],
  ] as const) {
    it(`${kind}: extracts the config as written and maps each position onto the same character`, () => {
      fc.assert(
        fc.property(meshText, (text) => {
          const file = wrap(text);
          const found = meshSourcesOf(file);
          assert.ok(found.ok);
          assert.equal(found.sources.length, 1);
          const [source] = found.sources;
          assert.equal(source!.kind, kind);
          assert.equal(source!.text.trimEnd(), text.trimEnd());
          const fileLines = file.split('\n');
          const textLines = text.split('\n');
          for (const [line, col] of positions(text)) {
            const pos = source!.position(line, col);
            assert.ok(pos.exact);
            assert.equal(
              fileLines[pos.line - 1]![pos.col - 1],
              textLines[line - 1]![col - 1],
              `${line}:${col}`,
            );
          }
        }),
        { seed: 13, numRuns: 150 },
      );
    });
  }

  it('reads a plain mesh.yaml as itself', () => {
    const found = meshSourcesOf('services: {}\n');
    assert.ok(found.ok);
    assert.deepEqual(
      found.sources.map((s) => [s.kind, s.text, s.position(3, 4)]),
      [['mesh', 'services: {}\n', { line: 3, col: 4, exact: true }]],
    );
  });

  it('finds every mesh ConfigMap in a multi-document manifest and skips other objects', () => {
    const two = `${asConfigMap('services: {}')}---\napiVersion: v1\nkind: Service\nmetadata: { name: s }\n---\n${asConfigMap('mtls: strict\nservices: {}').replace('meshlet-mesh', 'other')}`;
    const found = meshSourcesOf(two);
    assert.ok(found.ok);
    assert.deepEqual(
      found.sources.map((s) => s.label),
      ['ConfigMap meshlet-mesh', 'ConfigMap other'],
    );
    assert.equal(found.sources[1]!.position(2, 1).line, 22);
  });

  it('refuses Kubernetes manifests without a mesh.yaml ConfigMap, and a mesh: that is not a map', () => {
    const none = meshSourcesOf('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\ndata: { a: b }\n');
    assert.ok(!none.ok);
    assert.match(none.message, /no ConfigMap with a `mesh\.yaml` key/);
    const list = meshSourcesOf('mesh: [1, 2]\n');
    assert.ok(!list.ok);
    assert.deepEqual(list.position, { line: 1, col: 7 });
  });

  it('leaves broken YAML to the loader as a plain mesh.yaml', () => {
    const found = meshSourcesOf('kind: ConfigMap\n  bad: [\n');
    assert.ok(found.ok);
    assert.equal(found.sources[0]!.kind, 'mesh');
  });
});

describe('positionOfPath', () => {
  const text = 'services:\n  a:\n    routes:\n      - split: { v1: 1 }\n      - name: x\n';
  it('finds values, keys, sequence items, and the nearest ancestor of a missing node', () => {
    assert.deepEqual(positionOfPath(text, ['services', 'a', 'routes', 1]), { line: 5, col: 9 });
    assert.deepEqual(positionOfPath(text, ['services', 'a', 'routes'], true), { line: 3, col: 5 });
    assert.deepEqual(positionOfPath(text, ['services', 'a', 'routes', 7]), { line: 4, col: 7 });
  });
});

describe('meshSourcesOf: what is not Helm values', () => {
  it('keeps a mesh.yaml with a stray mesh: key a mesh.yaml, so the loader refuses it as the sidecar does', () => {
    const found = meshSourcesOf('services: {}\nmesh: { mtls: strict }\n');
    assert.ok(found.ok);
    assert.equal(found.sources[0]!.kind, 'mesh');
  });
});
