// The pod contract is one set of values: the injector writes them into the pod,
// the capture rules redirect to them, and `meshlet run` reads them back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCaptureRules, DEFAULT_CAPTURE_OPTIONS } from '../../src/capture/rules.ts';
import { readSettings } from '../../src/cli/env.ts';
import { captureOptionsFrom } from '../../src/cli/init-iptables.ts';
import { ENV, MESH_CONFIG_DIR, MESH_CONFIG_FILE, PORTS, PROXY_UID, TLS_DIR } from '../../src/contract.ts';
import type { Container, PodTemplate } from '../../src/inject/k8s.ts';
import { APP_PROBERS_ENV } from '../../src/inject/probes.ts';
import { DEFAULT_INJECT_OPTIONS, injectPod } from '../../src/inject/sidecar.ts';

/** A pod with an app port and an HTTP probe, so every contract variable is set. */
function injected(): { proxy: Container; init: Container } {
  const template: PodTemplate = {
    metadata: { labels: { app: 'web', version: 'v2' } },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx',
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 } },
        },
      ],
    },
  };
  const result = injectPod(template, { workloadName: 'web' }, { ...DEFAULT_INJECT_OPTIONS });
  assert.ok(result.injected);
  const all = [...(result.template.spec.initContainers ?? []), ...result.template.spec.containers];
  const proxy = all.find((c) => c.name === 'meshlet-proxy');
  const init = all.find((c) => c.name === 'meshlet-init');
  assert.ok(proxy && init);
  return { proxy, init };
}

/** The proxy container's environment as the kubelet would give it (field refs resolved). */
function envOf(proxy: Container): Record<string, string> {
  return Object.fromEntries((proxy.env ?? []).map((e) => [e.name, e.value ?? `field:${e.name}`]));
}

/** `--flag value` pairs of the init container's command line. */
function flagsOf(init: Container): Record<string, string> {
  const args = (init.args ?? []) as string[];
  assert.equal(args[0], 'init-iptables');
  const flags: Record<string, string> = {};
  for (let i = 1; i < args.length; i += 2) flags[args[i]!.replace(/^--/, '')] = args[i + 1]!;
  return flags;
}

describe('pod contract', () => {
  it('meshlet run, unconfigured, uses the contract ports and paths', () => {
    const settings = readSettings({}, {});
    assert.deepEqual(settings.ports, PORTS);
    assert.equal(settings.configFile, MESH_CONFIG_FILE);
    assert.equal(settings.tlsDir, TLS_DIR);
  });

  it('the capture rules default to the contract ports and proxy UID', () => {
    assert.deepEqual(
      {
        uid: DEFAULT_CAPTURE_OPTIONS.proxyUid,
        gid: DEFAULT_CAPTURE_OPTIONS.proxyGid,
        outbound: DEFAULT_CAPTURE_OPTIONS.outboundPort,
        inbound: DEFAULT_CAPTURE_OPTIONS.inboundPort,
        admin: DEFAULT_CAPTURE_OPTIONS.adminPort,
      },
      { uid: PROXY_UID, gid: PROXY_UID, ...PORTS },
    );
    assert.deepEqual(captureOptionsFrom({}, {}), DEFAULT_CAPTURE_OPTIONS);
  });

  it('the injected proxy runs as the proxy UID, mounts the contract paths and exposes the contract ports', () => {
    const { proxy } = injected();
    assert.equal(proxy.securityContext?.runAsUser, PROXY_UID);
    assert.deepEqual(
      ((proxy.volumeMounts ?? []) as { mountPath: string }[]).map((m) => m.mountPath),
      [MESH_CONFIG_DIR, TLS_DIR],
    );
    assert.deepEqual(
      (proxy.ports ?? []).map((p) => p.containerPort),
      [PORTS.outbound, PORTS.inbound, PORTS.admin],
    );
    for (const probe of [proxy.startupProbe, proxy.readinessProbe, proxy.livenessProbe]) {
      assert.equal(probe?.httpGet?.port, PORTS.admin);
    }
  });

  it('meshlet run reads back, from the injected environment, what the injector meant', () => {
    const { proxy } = injected();
    const env = envOf(proxy);
    assert.deepEqual(Object.keys(env).sort(), Object.values(ENV).sort(), 'every contract variable, no other');
    const settings = readSettings({}, env);
    assert.deepEqual(settings.ports, PORTS);
    assert.equal(settings.configFile, MESH_CONFIG_FILE);
    assert.equal(settings.tlsDir, TLS_DIR);
    assert.equal(settings.appPort, 8080);
    assert.equal(settings.self.service, 'web');
    assert.equal(settings.self.version, 'v2');
    assert.deepEqual([...settings.appProbers.keys()], ['/app-health/web/readyz']);
    assert.equal(APP_PROBERS_ENV, ENV.appProbers);
  });

  it('the injected init container redirects to the ports the proxy listens on and spares its UID', () => {
    const { proxy, init } = injected();
    const capture = captureOptionsFrom(flagsOf(init), {});
    const listening = readSettings({}, envOf(proxy)).ports;
    assert.equal(capture.outboundPort, listening.outbound);
    assert.equal(capture.inboundPort, listening.inbound);
    assert.equal(capture.adminPort, listening.admin);
    assert.equal(capture.proxyUid, proxy.securityContext?.runAsUser);
    const rules = buildCaptureRules(capture);
    assert.match(rules, new RegExp(`--uid-owner ${PROXY_UID} -j RETURN`));
    assert.match(rules, new RegExp(`--dport ${PORTS.admin} -j RETURN`));
    assert.match(rules, new RegExp(`REDIRECT --to-ports ${PORTS.inbound}\\b`));
    assert.match(rules, new RegExp(`REDIRECT --to-ports ${PORTS.outbound}\\b`));
  });
});
