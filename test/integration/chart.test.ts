// The Helm chart rendered the way Helm does it (Go text/template + sprig and
// Helm's extra functions, test/tools/helm-render), every object validated
// against the Kubernetes and CRD schemas, values.schema.json checked with
// ajv, and the cross-references between objects checked.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { validateObject } from '../tools/k8s-schema.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = path.join(ROOT, 'charts/meshlet');
const RENDERER_SRC = path.join(ROOT, 'test/tools/helm-render/main.go');
const GOPATH = '/usr/share/gocode';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked field by field
type K8s = any;

function goAvailable(): string | false {
  if (spawnSync('go', ['version']).status !== 0) return 'go is not installed (apt: golang-go)';
  if (!existsSync(path.join(GOPATH, 'src/github.com/Masterminds/sprig'))) {
    return 'sprig is not installed (apt: golang-github-masterminds-sprig-dev)';
  }
  if (!existsSync(path.join(GOPATH, 'src/github.com/ghodss/yaml'))) {
    return 'ghodss/yaml is not installed (apt: golang-github-ghodss-yaml-dev)';
  }
  return false;
}

/** Builds helm-render once per source version (cached in the temp dir). */
function buildRenderer(): string {
  const hash = createHash('sha256').update(readFileSync(RENDERER_SRC)).digest('hex').slice(0, 12);
  const dir = path.join(tmpdir(), `meshlet-helm-render-${hash}`);
  const bin = path.join(dir, 'helm-render');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  execFileSync('go', ['build', '-o', `${bin}.tmp`, '.'], {
    cwd: path.dirname(RENDERER_SRC),
    env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOCACHE: path.join(dir, 'cache') },
    stdio: 'pipe',
  });
  execFileSync('mv', [`${bin}.tmp`, bin]);
  return bin;
}

interface Render {
  status: number | null;
  stdout: string;
  stderr: string;
  objects: K8s[];
}

const skip = goAvailable();

describe('charts/meshlet', { skip }, () => {
  let renderer = '';
  const tmp = mkdtempSync(path.join(tmpdir(), 'meshlet-chart-'));

  function render(args: string[] = [], chart = CHART): Render {
    const r = spawnSync(
      renderer,
      ['--chart', chart, '--name', 'meshlet', '--namespace', 'meshlet-system', ...args],
      {
        encoding: 'utf8',
      },
    );
    const objects =
      r.status === 0
        ? (parseAllDocuments(r.stdout) as unknown as Array<{ errors: unknown[]; toJS(): K8s }>)
            .map((d) => {
              assert.deepEqual(d.errors, [], 'rendered YAML must parse');
              return d.toJS();
            })
            .filter((o) => o !== null)
        : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, objects };
  }

  function valuesFile(name: string, values: object): string {
    const file = path.join(tmp, `${name}.yaml`);
    writeFileSync(file, JSON.stringify(values));
    return file;
  }

  function find(objects: K8s[], kind: string, name?: string): K8s {
    const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
    assert.equal(found.length, 1, `expected one ${kind} ${name ?? ''}, got ${found.length}`);
    return found[0];
  }

  async function checkCommon(objects: K8s[]): Promise<void> {
    for (const o of objects) {
      await validateObject(o);
      const labels = o.metadata.labels ?? {};
      for (const key of [
        'app.kubernetes.io/name',
        'app.kubernetes.io/instance',
        'app.kubernetes.io/version',
        'app.kubernetes.io/managed-by',
        'app.kubernetes.io/part-of',
        'helm.sh/chart',
      ]) {
        assert.ok(labels[key], `${o.kind}/${o.metadata.name} lacks label ${key}`);
      }
    }
    const deployment = find(objects, 'Deployment');
    const service = find(objects, 'Service');
    const template = deployment.spec.template;
    for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels))
      assert.equal(template.metadata.labels[k], v);
    for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(template.metadata.labels[k], v);
    const container = template.spec.containers[0];
    assert.ok(container.ports.some((p: K8s) => p.name === service.spec.ports[0].targetPort));
    assert.equal(
      template.metadata.labels['meshlet.dev/inject'],
      'false',
      'the webhook must not inject itself',
    );
    const mwc = find(objects, 'MutatingWebhookConfiguration');
    for (const hook of mwc.webhooks) {
      assert.equal(hook.sideEffects, 'None');
      assert.deepEqual(hook.admissionReviewVersions, ['v1']);
      assert.equal(hook.clientConfig.service.name, service.metadata.name);
      assert.equal(hook.clientConfig.service.namespace, service.metadata.namespace);
      assert.equal(hook.clientConfig.service.port, service.spec.ports[0].port);
      assert.match(hook.clientConfig.service.path, /^\/inject\/(namespace|pod)$/);
      assert.ok(
        hook.namespaceSelector.matchExpressions.some(
          (e: K8s) => e.key === 'kubernetes.io/metadata.name' && e.values.includes('meshlet-system'),
        ),
      );
    }
    // Every flag the chart passes must be one the real CLI accepts.
    const args = container.args as string[];
    assert.equal(args[0], 'webhook');
    const help = spawnSync(process.execPath, [path.join(ROOT, 'src/main.ts'), ...args, '--help'], {
      encoding: 'utf8',
    });
    assert.equal(help.status, 0, `meshlet rejects the chart's webhook args: ${help.stderr}`);
    const tlsMount = container.volumeMounts.find((m: K8s) => m.name === 'tls');
    assert.ok(args.includes(`--tls-dir=${tlsMount.mountPath}`));
    // The mesh ConfigMap must hold a mesh.yaml the sidecar accepts.
    const meshSchema = JSON.parse(readFileSync(path.join(ROOT, 'config/mesh.schema.json'), 'utf8'));
    const validateMesh = new Ajv({ allErrors: true, strict: false }).compile(meshSchema);
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap' && o.data?.['mesh.yaml'] !== undefined)) {
      const mesh = parse(cm.data['mesh.yaml']);
      assert.ok(
        validateMesh(mesh),
        `mesh.yaml in ${cm.metadata.namespace}: ${JSON.stringify(validateMesh.errors)}`,
      );
    }
  }

  before(() => {
    renderer = buildRenderer();
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('helm-render implements the Helm functions and objects charts use', () => {
    const chart = path.join(ROOT, 'test/tools/helm-render/testdata/extras');
    const values = valuesFile('extras', { greeting: 'hi', nested: { drop: null } });
    const r = render(['-f', values, '--kube-version', 'v1.30.2', '--api-versions', 'example.com/v1'], chart);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# Source: extras\/templates\/out\.yaml$/m);
    assert.deepEqual(r.objects, [
      {
        include: 'meshlet@meshlet-system',
        tpl: 'hi from meshlet',
        fromYaml: 'two',
        toJson: '{"keep":1}',
        toYaml: { keep: 1 },
        lookup: 0,
        release: 'Helm true false',
        chart: 'extras 1.2.3 4.5',
        kube: 'v1.30.2 1 30',
        hasApps: true,
        hasCustom: true,
        templateName: 'extras/templates/out.yaml',
        lines: '["line one","line two"]',
        glob: 'files/config.yaml;',
        asSecrets: `lines.txt: ${Buffer.from('line one\nline two\n').toString('base64')}`,
        missing: '',
      },
    ]);
    const failing = render(['-f', valuesFile('extras-fail', { mustFail: true })], chart);
    assert.equal(failing.status, 1);
    assert.match(failing.stderr, /values\.mustHave is required/);
  });

  it('renders with default values into valid objects', async () => {
    const r = render();
    assert.equal(r.status, 0, r.stderr);
    await checkCommon(r.objects);
    assert.deepEqual(r.objects.map((o) => o.kind).sort(), [
      'Certificate',
      'ConfigMap',
      'ConfigMap',
      'Deployment',
      'Issuer',
      'MutatingWebhookConfiguration',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    // The mesh config and the dashboards shipped in charts/meshlet/dashboards.
    assert.deepEqual(
      r.objects
        .filter((o) => o.kind === 'ConfigMap')
        .map((o) => o.metadata.name)
        .sort(),
      ['meshlet-dashboards', 'meshlet-mesh'],
    );
    const mwc = find(r.objects, 'MutatingWebhookConfiguration');
    const cert = find(r.objects, 'Certificate');
    const deployment = find(r.objects, 'Deployment');
    assert.equal(
      mwc.metadata.annotations['cert-manager.io/inject-ca-from'],
      `meshlet-system/${cert.metadata.name}`,
    );
    assert.equal(cert.spec.issuerRef.name, find(r.objects, 'Issuer').metadata.name);
    assert.ok(cert.spec.dnsNames.includes('meshlet-webhook.meshlet-system.svc'));
    assert.equal(deployment.spec.template.spec.volumes[0].secret.secretName, cert.spec.secretName);
    const [ns, pod] = mwc.webhooks;
    assert.equal(ns.name, 'namespace.inject.meshlet.dev');
    assert.equal(ns.failurePolicy, 'Fail');
    assert.equal(ns.reinvocationPolicy, 'IfNeeded');
    assert.deepEqual(ns.namespaceSelector.matchExpressions[0], {
      key: 'meshlet-injection',
      operator: 'In',
      values: ['enabled'],
    });
    assert.deepEqual(ns.objectSelector.matchExpressions[0], {
      key: 'meshlet.dev/inject',
      operator: 'NotIn',
      values: ['false'],
    });
    assert.equal(pod.name, 'pod.inject.meshlet.dev');
    assert.equal(pod.failurePolicy, 'Ignore');
    assert.equal(ns.clientConfig.caBundle, undefined, 'cainjector provides the caBundle');
    assert.ok(deployment.spec.template.spec.containers[0].args.includes('--native-sidecar'));
    const mesh = find(r.objects, 'ConfigMap', 'meshlet-mesh');
    assert.equal(parse(mesh.data['mesh.yaml']).mtls, 'permissive');
  });

  it('renders with every option turned on', async () => {
    const values = {
      image: { repository: 'registry.example/meshlet', tag: '9.9.9', pullPolicy: 'Always' },
      initImage: { repository: 'registry.example/meshlet-init', tag: '9.9.9' },
      imagePullSecrets: [{ name: 'regcred' }],
      mesh: {
        trustDomain: 'prod.example',
        mtls: 'strict',
        outboundTrafficPolicy: 'registryOnly',
        tracing: { sampling: 1, otlpEndpoint: 'http://jaeger-collector.observability:4318/v1/traces' },
        services: {
          reviews: {
            port: 9080,
            versions: { v1: { host: 'reviews-v1', port: 9080 }, v2: { host: 'reviews-v2', port: 9080 } },
            routes: [{ split: { v1: 90, v2: 10 } }],
            allow: [{ from: ['productpage'], methods: ['GET'] }],
          },
        },
      },
      meshConfigMap: { name: 'mesh-prod', namespaces: ['shop', 'payments'] },
      injection: {
        nativeSidecar: 'false',
        rewriteProbes: false,
        tmpVolume: true,
        prometheusAnnotations: false,
        proxyResources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } },
      },
      webhook: {
        replicas: 3,
        failurePolicy: 'Ignore',
        reinvocationPolicy: 'Never',
        timeoutSeconds: 5,
        excludeNamespaces: ['kube-system', 'monitoring'],
        podScope: {
          enabled: true,
          failurePolicy: 'Fail',
          objectSelector: { matchLabels: { 'meshlet.dev/inject': 'true' } },
        },
        certManager: { enabled: false },
        tlsSecretName: 'webhook-tls',
        caBundle: Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString(
          'base64',
        ),
        logLevel: 'debug',
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'mesh', effect: 'NoSchedule' }],
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  topologyKey: 'kubernetes.io/hostname',
                  labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'webhook' } },
                },
              },
            ],
          },
        },
        priorityClassName: 'system-cluster-critical',
      },
      serviceAccount: { create: true, name: 'injector', annotations: { 'example.com/team': 'mesh' } },
      metrics: {
        podMonitor: { enabled: true, interval: '30s', labels: { release: 'kube-prometheus-stack' } },
        serviceMonitor: { enabled: true, interval: '30s', labels: { release: 'kube-prometheus-stack' } },
      },
      dashboards: {
        enabled: true,
        namespace: 'monitoring',
        labels: { grafana_dashboard: '1' },
        annotations: { grafana_folder: 'meshlet' },
      },
    };
    const file = valuesFile('all', values);
    const withoutCrds = render(['-f', file]);
    assert.equal(withoutCrds.status, 1);
    assert.match(withoutCrds.stderr, /needs the Prometheus Operator CRDs \(monitoring\.coreos\.com\/v1\)/);
    const r = render(['-f', file, '--api-versions', 'monitoring.coreos.com/v1']);
    assert.equal(r.status, 0, r.stderr);
    await checkCommon(r.objects);
    assert.ok(!r.objects.some((o) => o.kind === 'Certificate' || o.kind === 'Issuer'));
    const mwc = find(r.objects, 'MutatingWebhookConfiguration');
    assert.equal(mwc.metadata.annotations, undefined);
    for (const hook of mwc.webhooks) assert.equal(hook.clientConfig.caBundle, values.webhook.caBundle);
    assert.deepEqual(mwc.webhooks[1].objectSelector, { matchLabels: { 'meshlet.dev/inject': 'true' } });
    assert.equal(mwc.webhooks[0].failurePolicy, 'Ignore');
    assert.equal(mwc.webhooks[0].reinvocationPolicy, 'Never');
    const meshMaps = r.objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mesh-prod');
    assert.deepEqual(meshMaps.map((m) => m.metadata.namespace).sort(), [
      'meshlet-system',
      'payments',
      'shop',
    ]);
    assert.deepEqual(parse(meshMaps[0].data['mesh.yaml']), values.mesh);
    const deployment = find(r.objects, 'Deployment');
    const spec = deployment.spec.template.spec;
    assert.equal(spec.serviceAccountName, 'injector');
    assert.equal(spec.volumes[0].secret.secretName, 'webhook-tls');
    const args: string[] = spec.containers[0].args;
    for (const flag of [
      '--no-native-sidecar',
      '--no-rewrite-probes',
      '--tmp-volume',
      '--no-prometheus-annotations',
      '--proxy-cpu=200m',
      '--proxy-memory-limit=1Gi',
      '--proxy-image=registry.example/meshlet:9.9.9',
      '--init-image=registry.example/meshlet-init:9.9.9',
      '--mesh-configmap=mesh-prod',
    ]) {
      assert.ok(args.includes(flag), `missing ${flag} in ${args.join(' ')}`);
    }
    const podMonitor = find(r.objects, 'PodMonitor');
    assert.deepEqual(podMonitor.spec.selector.matchLabels, { 'meshlet.dev/injected': 'true' });
    assert.equal(podMonitor.spec.podMetricsEndpoints[0].port, 'meshlet-admin');
    assert.equal(podMonitor.metadata.labels.release, 'kube-prometheus-stack');
    assert.equal(find(r.objects, 'ServiceMonitor').spec.endpoints[0].port, 'meshlet-admin');
    assert.equal(find(r.objects, 'PodDisruptionBudget').spec.minAvailable, 1);
  });

  it('uses an existing cert-manager issuer when given one', async () => {
    const file = valuesFile('issuer', {
      webhook: {
        certManager: {
          enabled: true,
          issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
        },
      },
    });
    const r = render(['-f', file]);
    assert.equal(r.status, 0, r.stderr);
    await checkCommon(r.objects);
    assert.ok(!r.objects.some((o) => o.kind === 'Issuer'));
    assert.deepEqual(find(r.objects, 'Certificate').spec.issuerRef, {
      name: 'corp-ca',
      kind: 'ClusterIssuer',
      group: 'cert-manager.io',
    });
  });

  it('turns native sidecars on from Kubernetes 1.29 in auto mode', () => {
    const args = (kube: string) =>
      find(render(['--kube-version', kube]).objects, 'Deployment').spec.template.spec.containers[0].args;
    assert.ok(args('v1.28.9').includes('--no-native-sidecar'));
    assert.ok(args('v1.29.0').includes('--native-sidecar'));
    assert.ok(args('v1.31.2').includes('--native-sidecar'));
  });

  it('fails with a clear message when the webhook certificate is missing without cert-manager', () => {
    const r = render([
      '-f',
      valuesFile('nocert', { webhook: { certManager: { enabled: false }, tlsSecretName: 'x' } }),
    ]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /webhook\.caBundle \(base64 PEM\) is required when webhook\.certManager\.enabled is false/,
    );
  });

  it('renders NOTES.txt', () => {
    const notes = path.join(tmp, 'NOTES.txt');
    const r = render(['--notes', notes]);
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(notes, 'utf8');
    assert.match(text, /kubectl label namespace <namespace> meshlet-injection=enabled/);
    assert.match(text, /native sidecar mode: true/);
  });

  it('ships every dashboard in a ConfigMap for the Grafana sidecar, byte for byte', async () => {
    const chartDashboards = path.join(CHART, 'dashboards');
    const repoDashboards = path.join(ROOT, 'dashboards');
    const jsonIn = (dir: string) =>
      existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => f.endsWith('.json'))
            .sort()
        : [];
    if (jsonIn(chartDashboards).length > 0 && jsonIn(repoDashboards).length > 0) {
      assert.deepEqual(
        jsonIn(chartDashboards),
        jsonIn(repoDashboards),
        'charts/meshlet/dashboards and dashboards/ differ',
      );
      for (const f of jsonIn(repoDashboards)) {
        assert.ok(
          readFileSync(path.join(chartDashboards, f)).equals(readFileSync(path.join(repoDashboards, f))),
          `${f} differs: copy dashboards/ into charts/meshlet/dashboards/`,
        );
      }
    }
    // Render a copy of the chart with the dashboards in place, so the
    // template is exercised even before they are copied into the chart.
    const chart = path.join(tmp, 'chart');
    cpSync(CHART, chart, { recursive: true });
    const source = jsonIn(chartDashboards).length > 0 ? chartDashboards : repoDashboards;
    let files = jsonIn(source);
    mkdirSync(path.join(chart, 'dashboards'), { recursive: true });
    if (files.length > 0) {
      for (const f of files) cpSync(path.join(source, f), path.join(chart, 'dashboards', f));
    } else {
      writeFileSync(path.join(chart, 'dashboards', 'example.json'), '{"title": "example", "panels": []}\n');
      files = ['example.json'];
    }
    const r = render([], chart);
    assert.equal(r.status, 0, r.stderr);
    const cm = find(r.objects, 'ConfigMap', 'meshlet-dashboards');
    await validateObject(cm);
    assert.equal(cm.metadata.labels.grafana_dashboard, '1');
    assert.deepEqual(Object.keys(cm.data).sort(), files);
    for (const f of files) {
      assert.equal(
        cm.data[f],
        readFileSync(path.join(chart, 'dashboards', f), 'utf8'),
        `${f} changed on its way into the ConfigMap`,
      );
      JSON.parse(cm.data[f]);
    }
    const off = render(['-f', valuesFile('nodash', { dashboards: { enabled: false } })], chart);
    assert.ok(!off.objects.some((o) => o.metadata.name === 'meshlet-dashboards'));
  });
});

describe('charts/meshlet values.schema.json (ajv)', () => {
  const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  const defaults = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));

  it('accepts the default values', () => {
    assert.ok(validate(defaults), JSON.stringify(validate.errors));
  });

  it('rejects bad values with messages that name the key', () => {
    const bad: Array<[object, RegExp]> = [
      [
        { webhook: { failurePolicy: 'Sometimes' } },
        /\/webhook\/failurePolicy must be equal to one of the allowed values/,
      ],
      [{ webhook: { replicas: 0 } }, /\/webhook\/replicas must be >= 1/],
      [{ webhok: {} }, /must NOT have additional properties.*webhok/],
      [{ mesh: { mtls: 'on' } }, /\/mesh\/mtls must be equal to one of the allowed values/],
      [
        { injection: { proxyResources: { requests: { cpu: 'lots', memory: '1Gi' } } } },
        /\/injection\/proxyResources\/requests\/cpu must match pattern/,
      ],
      [
        { injection: { nativeSidecar: 'sometimes' } },
        /\/injection\/nativeSidecar must be equal to one of the allowed values/,
      ],
      [{ meshConfigMap: { namespaces: ['Shop'] } }, /\/meshConfigMap\/namespaces\/0 must match pattern/],
    ];
    for (const [values, message] of bad) {
      assert.equal(validate(values), false, JSON.stringify(values));
      const text = validate
        .errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
        .join('; ');
      assert.match(text, message);
    }
  });

  it('documents every value in the chart README', () => {
    const readme = readFileSync(path.join(CHART, 'README.md'), 'utf8');
    const keys: string[] = [];
    const leafParents = new Set([
      'mesh',
      'proxyResources',
      'resources',
      'labels',
      'annotations',
      'issuerRef',
      'objectSelector',
      'nodeSelector',
      'affinity',
    ]);
    const walk = (o: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(o)) {
        const key = prefix ? `${prefix}.${k}` : k;
        if (v && typeof v === 'object' && !Array.isArray(v) && !leafParents.has(k))
          walk(v as Record<string, unknown>, key);
        else keys.push(key);
      }
    };
    walk(defaults, '');
    for (const key of keys) {
      const row = new RegExp(`^\\|\\s*\`${key.replaceAll('.', '\\.')}\`\\s*\\|`, 'm');
      assert.match(readme, row, `README values table lacks ${key}`);
    }
  });
});

describe('charts/meshlet lint', () => {
  it('has a Helm v2 Chart.yaml and no tabs in any chart file', () => {
    const chart = parse(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'));
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.name, 'meshlet');
    assert.match(chart.version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    assert.equal(chart.type, 'application');
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(chart.appVersion, pkg.version, 'appVersion follows package.json');
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = path.join(dir, f);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    for (const file of walk(CHART).filter((f) => /\.(ya?ml|tpl|txt)$/.test(f))) {
      assert.ok(!readFileSync(file, 'utf8').includes('\t'), `${path.relative(ROOT, file)} contains a tab`);
    }
  });
});
