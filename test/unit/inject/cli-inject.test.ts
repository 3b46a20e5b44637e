// `meshlet inject` as a user runs it: a real process, files, stdin, exit codes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/inject');
const tmp = mkdtempSync(path.join(tmpdir(), 'meshlet-inject-cli-'));

function meshlet(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'src/main.ts'), ...args], {
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

describe('meshlet inject CLI', () => {
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes -o and prints warnings on stderr', async () => {
    const out = path.join(tmp, 'out.yaml');
    const r = await meshlet(['inject', '-f', path.join(FIXTURES, 'named-ports-probes.in.yaml'), '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /warning: container sidecar: readinessProbe uses unknown port 'missing'/);
    const deployment = parse(readFileSync(out, 'utf8'));
    const init = deployment.spec.template.spec.initContainers.map((c: { name: string }) => c.name);
    assert.deepEqual(init, ['meshlet-init', 'meshlet-proxy']);
  });

  it('reads stdin with -f - and honours --no-native-sidecar and MESHLET_PROXY_IMAGE', async () => {
    const r = await meshlet(['inject', '-f', '-', '--no-native-sidecar'], {
      stdin: readFileSync(path.join(FIXTURES, 'multi-doc.in.yaml'), 'utf8'),
      env: { MESHLET_PROXY_IMAGE: 'registry.local/meshlet:dev' },
    });
    assert.equal(r.code, 0, r.stderr);
    // biome-ignore lint/suspicious/noExplicitAny: walking parsed YAML
    const docs = parseAllDocuments(r.stdout) as unknown as Array<{ toJS(): any }>;
    assert.deepEqual(
      docs.map((d) => d.toJS().kind),
      ['ConfigMap', 'Service', 'Deployment', 'NetworkPolicy'],
    );
    const containers = docs[2]!.toJS().spec.template.spec.containers;
    assert.equal(containers[0].name, 'meshlet-proxy');
    assert.equal(containers[0].image, 'registry.local/meshlet:dev');
  });

  it('exits 1 with the workload and annotation named on an invalid annotation', async () => {
    const bad =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    meshlet.dev/proxy-cpu: lots\nspec:\n  containers: [{name: a, image: b}]\n';
    const r = await meshlet(['inject', '-f', '-'], { stdin: bad });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Pod\/p: annotation meshlet\.dev\/proxy-cpu: 'lots' is not a Kubernetes quantity/);
    assert.equal(r.stdout, '');
  });

  it('exits 1 on invalid YAML and 2 without -f', async () => {
    const broken = await meshlet(['inject', '-f', '-'], { stdin: 'kind: Pod\n  bad: [\n' });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /invalid YAML/);
    const usage = await meshlet(['inject']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /-f is required/);
  });
});
