// The admission webhook as the API server sees it: a real `meshlet webhook`
// process over HTTPS (certificates made with openssl), real AdmissionReview
// v1 bodies, the returned JSONPatch applied with fast-json-patch and the
// patched Pod validated against the Kubernetes schema.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import jsonpatch from 'fast-json-patch';
import { validateObject } from '../tools/k8s-schema.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A CA and a serving certificate for 127.0.0.1 in `dir`/{ca.crt,tls.crt,tls.key}. */
function makeCerts(dir: string, cn: string): void {
  mkdirSync(dir, { recursive: true });
  const ext = path.join(dir, 'ext.cnf');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:meshlet-webhook.meshlet.svc\n');
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=meshlet-test-ca',
    '-days',
    '1',
  );
  run('req', ...ecKey, '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', `/CN=${cn}`);
  run(
    'x509',
    '-req',
    '-in',
    'tls.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'tls.crt',
    '-days',
    '1',
    '-extfile',
    ext,
  );
}

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: an AdmissionReview or error body, checked field by field
  body: any;
  peerCert: string;
}

function post(
  port: number,
  ca: string,
  pathname: string,
  body: string | object,
  method = 'POST',
): Promise<Reply> {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method,
        ca,
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? null : JSON.parse(text),
            peerCert: String(peer.subject?.CN ?? ''),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(method === 'GET' ? undefined : data);
  });
}

/** A Pod as the ReplicaSet controller submits it: generateName, pod-template-hash. */
function replicaSetPod(annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'reviews-v2-5d9f7c6b8-',
      namespace: 'shop',
      labels: { app: 'reviews', version: 'v2', 'pod-template-hash': '5d9f7c6b8' },
      annotations,
    },
    spec: {
      serviceAccountName: 'reviews',
      containers: [
        {
          name: 'reviews',
          image: 'example/reviews:2',
          ports: [{ name: 'http', containerPort: 9080 }],
          readinessProbe: { httpGet: { path: '/health', port: 'http' } },
        },
      ],
    },
  };
}

function review(object: unknown, overrides: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object,
      dryRun: false,
      ...overrides,
    },
  };
}

interface ContainerJson {
  name: string;
  image?: string;
  env?: Array<{ name: string; value?: string }>;
  readinessProbe?: { httpGet: { port: number | string } };
}
interface PodJson {
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { containers: ContainerJson[]; initContainers?: ContainerJson[]; hostNetwork?: boolean };
}

function patchedPod(pod: unknown, reply: Reply): PodJson {
  assert.equal(reply.body.response.patchType, 'JSONPatch');
  const ops = JSON.parse(Buffer.from(reply.body.response.patch, 'base64').toString('utf8'));
  return jsonpatch.applyPatch(structuredClone(pod), ops, true).newDocument as ReturnType<
    typeof replicaSetPod
  >;
}

describe('meshlet webhook over HTTPS', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'meshlet-webhook-'));
  const tlsDir = path.join(tmp, 'tls');
  let ca = '';
  let port = 0;
  let child: ChildProcess;
  let logs = '';

  before(async () => {
    makeCerts(path.join(tmp, 'first'), 'webhook-first');
    mkdirSync(tlsDir);
    for (const f of ['tls.crt', 'tls.key']) copyFileSync(path.join(tmp, 'first', f), path.join(tlsDir, f));
    ca = readFileSync(path.join(tmp, 'first', 'ca.crt'), 'utf8');
    child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'src/main.ts'),
        'webhook',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--tls-dir',
        tlsDir,
        '--proxy-image',
        'registry.test/meshlet:1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stderr?.on('data', (d) => (logs += d));
    port = await new Promise<number>((resolve, reject) => {
      child.stdout?.on('data', (d) => {
        logs += d;
        const m = /"port":(\d+)[^\n]*webhook listening/.exec(logs);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`webhook exited ${code}: ${logs}`)));
    });
  });

  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('injects an annotated pod on /inject/pod with a JSONPatch that yields a valid Pod', async () => {
    const pod = replicaSetPod({ 'meshlet.dev/inject': 'true' });
    const body = review(pod);
    const reply = await post(port, ca, '/inject/pod', body);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(reply.body.kind, 'AdmissionReview');
    assert.equal(reply.body.response.uid, body.request.uid);
    assert.equal(reply.body.response.allowed, true);
    const result = patchedPod(pod, reply);
    await validateObject({ ...result, metadata: { ...result.metadata, name: 'reviews-v2-5d9f7c6b8-abcde' } });
    const init = result.spec.initContainers ?? [];
    assert.deepEqual(
      init.map((c) => c.name),
      ['meshlet-init', 'meshlet-proxy'],
    );
    const proxy = init[1]!;
    assert.equal(proxy.image, 'registry.test/meshlet:1');
    const env = Object.fromEntries((proxy.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.MESHLET_SERVICE, 'reviews');
    assert.equal(env.MESHLET_APP_PORT, '9080');
    assert.deepEqual(JSON.parse(env.MESHLET_APP_PROBERS ?? ''), {
      '/app-health/reviews/readyz': { httpGet: { path: '/health', port: 9080, scheme: 'HTTP' } },
    });
    assert.equal(result.spec.containers[0]?.readinessProbe?.httpGet.port, 15000);
    assert.ok(result.metadata.annotations?.['meshlet.dev/status']);
  });

  it('names the workload after the Deployment when the pod has no labels to go by', async () => {
    const pod = replicaSetPod({ 'meshlet.dev/inject': 'true' });
    pod.metadata.labels = { 'pod-template-hash': '5d9f7c6b8' } as never;
    const result = patchedPod(pod, await post(port, ca, '/inject/pod', review(pod)));
    const env = result.spec.initContainers?.[1]?.env?.find((e) => e.name === 'MESHLET_SERVICE');
    assert.equal(env?.value, 'reviews-v2');
  });

  it('returns no patch for an unannotated pod on /inject/pod', async () => {
    const body = review(replicaSetPod());
    const reply = await post(port, ca, '/inject/pod', body);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.response, { uid: body.request.uid, allowed: true });
  });

  it('injects unannotated pods on /inject/namespace unless they opt out', async () => {
    const pod = replicaSetPod();
    const injected = await post(port, ca, '/inject/namespace', review(pod));
    assert.equal(patchedPod(pod, injected).spec.containers.length, 1);
    const optedOut = await post(
      port,
      ca,
      '/inject/namespace',
      review(replicaSetPod({ 'meshlet.dev/inject': 'false' })),
    );
    assert.equal(optedOut.body.response.allowed, true);
    assert.equal(optedOut.body.response.patch, undefined);
  });

  it('returns no patch for an already injected pod (reinvocation)', async () => {
    const pod = replicaSetPod({ 'meshlet.dev/inject': 'true' });
    const once = patchedPod(pod, await post(port, ca, '/inject/pod', review(pod)));
    const again = await post(port, ca, '/inject/pod', review(once));
    assert.equal(again.body.response.allowed, true);
    assert.equal(again.body.response.patch, undefined);
  });

  it('allows hostNetwork pods unchanged with a warning for kubectl', async () => {
    const pod = { ...replicaSetPod({ 'meshlet.dev/inject': 'true' }) };
    const withHost = { ...pod, spec: { ...pod.spec, hostNetwork: true } };
    const reply = await post(port, ca, '/inject/pod', review(withHost));
    assert.equal(reply.body.response.allowed, true);
    assert.equal(reply.body.response.patch, undefined);
    assert.match(reply.body.response.warnings.join(), /hostNetwork/);
  });

  it('denies a pod with an invalid meshlet annotation, saying which', async () => {
    const reply = await post(
      port,
      ca,
      '/inject/pod',
      review(
        replicaSetPod({ 'meshlet.dev/inject': 'true', 'meshlet.dev/exclude-outbound-ports': 'postgres' }),
      ),
    );
    assert.equal(reply.status, 200);
    assert.equal(reply.body.response.allowed, false);
    assert.equal(reply.body.response.status.code, 400);
    assert.match(
      reply.body.response.status.message,
      /meshlet\.dev\/exclude-outbound-ports: 'postgres' is not a port number/,
    );
  });

  it('lets non-Pod and non-CREATE requests through untouched', async () => {
    const update = await post(
      port,
      ca,
      '/inject/namespace',
      review(replicaSetPod(), { operation: 'UPDATE' }),
    );
    assert.equal(update.body.response.allowed, true);
    assert.equal(update.body.response.patch, undefined);
    const deployment = await post(
      port,
      ca,
      '/inject/namespace',
      review({ kind: 'Deployment' }, { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }),
    );
    assert.equal(deployment.body.response.patch, undefined);
  });

  it('answers malformed reviews with 400 and a clear message', async () => {
    const cases: Array<[string | object, RegExp]> = [
      ['{not json', /body is not valid JSON/],
      [
        { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} },
        /expected apiVersion admission\.k8s\.io\/v1/,
      ],
      [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /has no request/],
      [
        { ...review(replicaSetPod()), request: { ...review(replicaSetPod()).request, uid: '' } },
        /request\.uid is missing/,
      ],
      [review({ kind: 'Pod', spec: {} }), /not a Pod with spec\.containers/],
    ];
    for (const [body, message] of cases) {
      const reply = await post(port, ca, '/inject/pod', body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.match(reply.body.error, message);
    }
    const wrongPath = await post(port, ca, '/mutate', review(replicaSetPod()));
    assert.equal(wrongPath.status, 404);
    assert.match(wrongPath.body.error, /POST \/inject\/namespace or \/inject\/pod/);
  });

  it('serves /healthz', async () => {
    const reply = await post(port, ca, '/healthz', '', 'GET');
    assert.equal(reply.status, 200);
  });

  it('picks up a renewed serving certificate without a restart', async () => {
    assert.equal((await post(port, ca, '/healthz', '', 'GET')).peerCert, 'webhook-first');
    makeCerts(path.join(tmp, 'second'), 'webhook-second');
    const secondCa = readFileSync(path.join(tmp, 'second', 'ca.crt'), 'utf8');
    for (const f of ['tls.key', 'tls.crt']) copyFileSync(path.join(tmp, 'second', f), path.join(tlsDir, f));
    let served = '';
    for (let i = 0; i < 100 && served !== 'webhook-second'; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      served = await post(port, secondCa, '/healthz', '', 'GET').then(
        (r) => r.peerCert,
        () => '',
      );
    }
    assert.equal(served, 'webhook-second');
    assert.ok(new X509Certificate(secondCa).subject.includes('meshlet-test-ca'));
  });
});
