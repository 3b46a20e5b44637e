// The injected containers against the CLIs they run: every meshlet-init
// command line in the golden outputs is accepted by the real
// `meshlet init-iptables --dry-run` and redirects to the ports the proxy
// container of the same pod listens on; every env name given to
// meshlet-proxy is read somewhere in src/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { PROXY_COMMAND } from '../../../src/inject/sidecar.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/inject');

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
}
interface InjectedPod {
  file: string;
  init: Container;
  proxy: Container;
}

/** Every pod spec in a parsed manifest object, however deeply nested (List, CronJob). */
function podSpecs(node: unknown): { containers: Container[]; initContainers?: Container[] }[] {
  if (node === null || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap(podSpecs);
  const obj = node as Record<string, unknown>;
  const here = Array.isArray(obj.containers) ? [obj as unknown as ReturnType<typeof podSpecs>[number]] : [];
  return [...here, ...Object.values(obj).flatMap(podSpecs)];
}

function injectedPodsIn(file: string): InjectedPod[] {
  return parseAllDocuments(readFileSync(path.join(FIXTURES, file), 'utf8')).flatMap((doc) =>
    podSpecs(doc.toJS()).flatMap((spec) => {
      const all = [...(spec.initContainers ?? []), ...spec.containers];
      const init = all.find((c) => c.name === 'meshlet-init');
      const proxy = all.find((c) => c.name === 'meshlet-proxy');
      return init === undefined || proxy === undefined ? [] : [{ file, init, proxy }];
    }),
  );
}

// Pods injected by this injector: not the ones that came in already injected
// (by an older version) and were left alone.
const injectedPods: InjectedPod[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.out.yaml'))
  .sort()
  .flatMap((file) => {
    const before = new Set(
      injectedPodsIn(file.replace(/\.out\.yaml$/, '.in.yaml')).map((p) => JSON.stringify(p.proxy)),
    );
    return injectedPodsIn(file).filter((p) => !before.has(JSON.stringify(p.proxy)));
  });

const envValue = (c: Container, name: string): string | undefined =>
  c.env?.find((e) => e.name === name)?.value;

describe('injected containers match the CLIs they run', () => {
  it('finds injected pods in the golden files', () => {
    assert.ok(injectedPods.length >= 8, `only ${injectedPods.length} injected pods found`);
  });

  it('meshlet-init args are accepted by `meshlet init-iptables --dry-run` and redirect to the proxy ports', () => {
    const seen = new Set<string>();
    for (const { file, init, proxy } of injectedPods) {
      const args = init.args ?? [];
      const key = JSON.stringify(args);
      if (seen.has(key)) continue;
      seen.add(key);
      assert.equal(args[0], 'init-iptables', `${file}: init container does not run init-iptables`);
      const r = spawnSync(process.execPath, [path.join(ROOT, 'src/main.ts'), ...args, '--dry-run'], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `${file}: meshlet ${args.join(' ')} --dry-run failed: ${r.stderr}`);
      const outbound = envValue(proxy, 'MESHLET_OUTBOUND_PORT');
      const inbound = envValue(proxy, 'MESHLET_INBOUND_PORT');
      const admin = envValue(proxy, 'MESHLET_ADMIN_PORT');
      assert.ok(outbound && inbound && admin, `${file}: proxy env does not name its ports`);
      assert.match(
        r.stdout,
        new RegExp(`^-A MESHLET_REDIRECT -p tcp -j REDIRECT --to-ports ${outbound}$`, 'm'),
      );
      assert.match(
        r.stdout,
        new RegExp(`^-A MESHLET_IN_REDIRECT -p tcp -j REDIRECT --to-ports ${inbound}$`, 'm'),
      );
      assert.match(r.stdout, new RegExp(`^-A MESHLET_INBOUND -p tcp --dport ${admin} -j RETURN$`, 'm'));
      assert.match(r.stdout, /^-A MESHLET_OUTPUT -m owner --uid-owner 1337 -j RETURN$/m);
      // Annotation-driven exclusions reach the ruleset.
      const excluded = args[args.indexOf('--exclude-outbound-ports') + 1];
      if (args.includes('--exclude-outbound-ports')) {
        for (const port of excluded!.split(','))
          assert.match(
            r.stdout,
            new RegExp(`^-A MESHLET_OUTPUT -p tcp --dport ${port.trim()} -j RETURN$`, 'm'),
          );
      }
    }
    assert.ok(seen.size >= 2, 'expected both default and annotated init command lines');
  });

  it('rejects a command line init-iptables does not know (the check above can fail)', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'src/main.ts'), 'init-iptables', '--proxy-user', '1337', '--dry-run'],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 2);
  });

  it('meshlet-proxy runs node with the shipped V8 flag and `meshlet run`', () => {
    for (const { file, proxy } of injectedPods) {
      assert.deepEqual(proxy.command, [...PROXY_COMMAND], file);
      assert.deepEqual(proxy.args, ['run'], file);
    }
  });

  it('every env name given to meshlet-proxy is read by the code', () => {
    const sources = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && f !== path.join('inject', 'sidecar.ts'))
      .map((f) => readFileSync(path.join(ROOT, 'src', f), 'utf8'))
      .join('\n');
    const names = new Set(injectedPods.flatMap(({ proxy }) => (proxy.env ?? []).map((e) => e.name)));
    for (const required of [
      'MESHLET_SERVICE',
      'MESHLET_NAMESPACE',
      'MESHLET_VERSION',
      'MESHLET_SERVICE_ACCOUNT',
      'MESHLET_APP_PORT',
      'MESHLET_CONFIG',
      'MESHLET_TLS_DIR',
      'MESHLET_BIND',
      'MESHLET_APP_PROBERS',
    ]) {
      assert.ok(names.has(required), `no golden proxy container sets ${required}`);
    }
    for (const name of names) {
      // Read as env.NAME or env['NAME'] / a 'NAME' constant passed to an env helper.
      const read = new RegExp(`env\\.${name}\\b|'${name}'`).test(sources);
      assert.ok(read, `${name} is set but never read`);
    }
  });
});
