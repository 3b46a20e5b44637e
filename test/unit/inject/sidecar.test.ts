import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InjectError, quantityValue, wantsInjection } from '../../../src/inject/annotations.ts';
import type { Container, PodTemplate } from '../../../src/inject/k8s.ts';
import { DEFAULT_INJECT_OPTIONS, type InjectOptions, injectPod } from '../../../src/inject/sidecar.ts';
import { validateObject } from '../../tools/k8s-schema.ts';

const options: InjectOptions = { ...DEFAULT_INJECT_OPTIONS };

function pod(
  annotations: Record<string, string> = {},
  extra: Partial<PodTemplate['spec']> = {},
): PodTemplate {
  return {
    metadata: { labels: { app: 'web' }, annotations },
    spec: {
      containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }],
      ...extra,
    },
  };
}

function inject(template: PodTemplate, opts: InjectOptions = options) {
  const result = injectPod(template, { workloadName: 'web-deploy' }, opts);
  assert.ok(result.injected, 'expected injection');
  return result;
}

function proxyOf(template: PodTemplate): Container {
  const all = [...(template.spec.initContainers ?? []), ...template.spec.containers];
  const proxy = all.find((c) => c.name === 'meshlet-proxy');
  assert.ok(proxy);
  return proxy;
}

function env(container: Container, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

function initArgs(template: PodTemplate): string[] {
  return (template.spec.initContainers?.find((c) => c.name === 'meshlet-init')?.args ?? []) as string[];
}

describe('injectPod', () => {
  it('does not mutate its input', () => {
    const input = pod();
    const before = structuredClone(input);
    inject(input);
    assert.deepEqual(input, before);
  });

  it('places the native sidecar after meshlet-init and before the user init containers', () => {
    const { template } = inject(pod({}, { initContainers: [{ name: 'migrate', image: 'm' }] }));
    assert.deepEqual(
      template.spec.initContainers?.map((c) => [c.name, c.restartPolicy]),
      [
        ['meshlet-init', undefined],
        ['meshlet-proxy', 'Always'],
        ['migrate', undefined],
      ],
    );
    assert.deepEqual(
      template.spec.containers.map((c) => c.name),
      ['web'],
    );
  });

  it('puts the proxy first with a postStart /ready wait when native sidecars are off', () => {
    const { template } = inject(pod(), { ...options, nativeSidecar: false });
    assert.deepEqual(
      template.spec.containers.map((c) => c.name),
      ['meshlet-proxy', 'web'],
    );
    const hook = template.spec.containers[0]?.lifecycle as { postStart: { exec: { command: string[] } } };
    assert.equal(hook.postStart.exec.command[0], 'node');
    assert.equal(template.spec.containers[0]?.restartPolicy, undefined);
  });

  it('takes the service from app.kubernetes.io/name, then app, then the workload name', () => {
    const named = pod();
    named.metadata!.labels = { 'app.kubernetes.io/name': 'ratings', app: 'other', version: 'v7' };
    assert.equal(env(proxyOf(inject(named).template), 'MESHLET_SERVICE'), 'ratings');
    assert.equal(env(proxyOf(inject(named).template), 'MESHLET_VERSION'), 'v7');
    assert.equal(env(proxyOf(inject(pod()).template), 'MESHLET_SERVICE'), 'web');
    const bare = pod();
    bare.metadata!.labels = {};
    assert.equal(env(proxyOf(inject(bare).template), 'MESHLET_SERVICE'), 'web-deploy');
    assert.equal(env(proxyOf(inject(bare).template), 'MESHLET_VERSION'), 'unknown');
  });

  it('resolves the app port from a number, a named port, or the first port', () => {
    assert.equal(env(proxyOf(inject(pod()).template), 'MESHLET_APP_PORT'), '8080');
    assert.equal(
      env(proxyOf(inject(pod({ 'meshlet.dev/app-port': 'http' })).template), 'MESHLET_APP_PORT'),
      '8080',
    );
    assert.equal(
      env(proxyOf(inject(pod({ 'meshlet.dev/app-port': '9999' })).template), 'MESHLET_APP_PORT'),
      '9999',
    );
    assert.throws(() => inject(pod({ 'meshlet.dev/app-port': 'grpc' })), InjectError);
    assert.throws(() => inject(pod({ 'meshlet.dev/app-port': '70000' })), InjectError);
  });

  it('passes the capture annotations to meshlet init-iptables, normalised', () => {
    const { template } = inject(
      pod({
        'meshlet.dev/exclude-outbound-ports': ' 5432 ,6379',
        'meshlet.dev/exclude-outbound-ip-ranges': '10.0.0.0/8, fd00::/8',
      }),
    );
    const args = initArgs(template);
    assert.equal(args[args.indexOf('--exclude-outbound-ports') + 1], '5432,6379');
    assert.equal(args[args.indexOf('--exclude-outbound-ip-ranges') + 1], '10.0.0.0/8,fd00::/8');
    assert.ok(!args.includes('--include-outbound-ports'), 'empty options are left out');
    assert.deepEqual(args.slice(0, 3), ['init-iptables', '--proxy-uid', '1337']);
  });

  it('rejects invalid annotation values with the annotation name in the message', () => {
    const cases: Record<string, string> = {
      'meshlet.dev/exclude-inbound-ports': '80,http',
      'meshlet.dev/include-outbound-ports': '0',
      'meshlet.dev/exclude-outbound-ip-ranges': '10.0.0.0',
      'meshlet.dev/proxy-cpu': 'lots',
      'meshlet.dev/proxy-memory': '12 Mi',
    };
    for (const [key, value] of Object.entries(cases)) {
      assert.throws(
        () => inject(pod({ [key]: value })),
        (err: Error) => {
          assert.ok(err instanceof InjectError);
          assert.match(err.message, new RegExp(key.replace('.', '\\.')));
          return true;
        },
      );
    }
    assert.throws(
      () => inject(pod({ 'meshlet.dev/exclude-outbound-ip-ranges': '10.0.0.0/33' })),
      InjectError,
    );
  });

  it('sets proxy resources from annotations, raising a default limit below the request', () => {
    const resources = (t: PodTemplate) => proxyOf(t).resources as Record<string, Record<string, string>>;
    assert.deepEqual(resources(inject(pod()).template), {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    });
    const big = resources(
      inject(pod({ 'meshlet.dev/proxy-cpu': '2', 'meshlet.dev/proxy-memory': '1Gi' })).template,
    );
    assert.deepEqual(big, { requests: { cpu: '2', memory: '1Gi' }, limits: { memory: '1Gi' } });
    const limited = resources(
      inject(pod({ 'meshlet.dev/proxy-cpu-limit': '500m', 'meshlet.dev/proxy-memory-limit': '256Mi' }))
        .template,
    );
    assert.deepEqual(limited.limits, { cpu: '500m', memory: '256Mi' });
    assert.throws(
      () => inject(pod({ 'meshlet.dev/proxy-memory': '1Gi', 'meshlet.dev/proxy-memory-limit': '256Mi' })),
      /below the request/,
    );
  });

  it('skips hostNetwork pods with a warning and already-injected pods silently', () => {
    const host = injectPod(pod({}, { hostNetwork: true }), { workloadName: 'x' }, options);
    assert.equal(host.injected, false);
    assert.match(host.warnings.join(), /hostNetwork/);
    const once = inject(pod()).template;
    const twice = injectPod(once, { workloadName: 'x' }, options);
    assert.deepEqual(twice, { injected: false, reason: 'already injected', warnings: [] });
    const byName = pod();
    byName.spec.containers.push({ name: 'meshlet-proxy', image: 'x' });
    assert.equal(injectPod(byName, { workloadName: 'x' }, options).injected, false);
  });

  it('leaves the app securityContext alone and warns when the app runs as the proxy UID', () => {
    const input = pod({}, { securityContext: { runAsUser: 1337, fsGroup: 3 } });
    input.spec.containers[0]!.securityContext = { readOnlyRootFilesystem: true };
    const result = inject(input);
    assert.deepEqual(result.template.spec.securityContext, { runAsUser: 1337, fsGroup: 3 });
    assert.deepEqual(result.template.spec.containers[0]?.securityContext, { readOnlyRootFilesystem: true });
    assert.match(result.warnings.join(), /UID 1337/);
    assert.deepEqual(proxyOf(result.template).securityContext?.capabilities, { drop: ['ALL'] });
  });

  it('refuses a pod that already uses one of meshlet’s volume names', () => {
    assert.throws(
      () => inject(pod({}, { volumes: [{ name: 'meshlet-certs', emptyDir: {} }] })),
      /meshlet-certs/,
    );
  });

  it('keeps existing prometheus and default-container annotations', () => {
    const { template } = inject(
      pod({ 'prometheus.io/scrape': 'false', 'kubectl.kubernetes.io/default-container': 'sidecar' }),
    );
    const a = template.metadata?.annotations ?? {};
    assert.equal(a['prometheus.io/scrape'], 'false');
    assert.equal(a['prometheus.io/port'], undefined);
    assert.equal(a['kubectl.kubernetes.io/default-container'], 'sidecar');
    assert.deepEqual(JSON.parse(a['meshlet.dev/status']!).initContainers, ['meshlet-init', 'meshlet-proxy']);
  });

  it('produces pods the Pod schema accepts in both modes', async () => {
    for (const nativeSidecar of [true, false]) {
      const { template } = inject(pod({}, { initContainers: [{ name: 'i', image: 'i' }] }), {
        ...options,
        nativeSidecar,
        tmpVolume: true,
      });
      await validateObject({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', ...template.metadata },
        spec: template.spec,
      });
    }
  });
});

describe('annotation helpers', () => {
  it('reads meshlet.dev/inject case-insensitively with a default', () => {
    assert.equal(wantsInjection({ 'meshlet.dev/inject': 'TRUE' }, false), true);
    assert.equal(wantsInjection({ 'meshlet.dev/inject': 'false' }, true), false);
    assert.equal(wantsInjection({ 'meshlet.dev/inject': 'maybe' }, true), true);
    assert.equal(wantsInjection(undefined, false), false);
  });

  it('converts Kubernetes quantities', () => {
    assert.equal(quantityValue('100m', 'x'), 0.1);
    assert.equal(quantityValue('128Mi', 'x'), 128 * 2 ** 20);
    assert.equal(quantityValue('1G', 'x'), 1e9);
    assert.equal(quantityValue('1e3', 'x'), 1000);
    assert.equal(quantityValue('.5', 'x'), 0.5);
    assert.throws(() => quantityValue('1.5.5', 'x'), InjectError);
    assert.throws(() => quantityValue('-1', 'x'), InjectError);
  });
});
