// The one injection function: takes a pod template and returns it with the
// meshlet sidecar, its capture init container, volumes and annotations added
// (docs/kubernetes.md). Pure: no I/O, input never mutated. `meshlet inject`
// (manifest.ts) and the admission webhook (webhook.ts) both call it.
import {
  ENV,
  MESH_CONFIG_DIR,
  MESH_CONFIG_FILE,
  NODE_FLAGS,
  PORTS,
  PROXY_UID,
  TLS_DIR,
} from '../contract.ts';
import { ANNOTATION, InjectError, parseCidrList, parsePortList, quantityValue } from './annotations.ts';
import type { Container, EnvVar, PodTemplate, Volume } from './k8s.ts';
import { resolveContainerPort, rewriteAppProbes } from './probes.ts';

export const PROXY_CONTAINER = 'meshlet-proxy';
export const INIT_CONTAINER = 'meshlet-init';
export const INJECTED_LABEL = 'meshlet.dev/injected';
/**
 * How the proxy container starts node: the Dockerfile's ENTRYPOINT, spelled
 * out so the flags hold whatever the image's entrypoint is.
 */
export const PROXY_COMMAND: readonly string[] = Object.freeze(['node', ...NODE_FLAGS, '/app/bin/meshlet.js']);

const VOLUME_MESH = 'meshlet-mesh';
const VOLUME_CERTS = 'meshlet-certs';
const VOLUME_TMP = 'meshlet-tmp';

export interface ProxyResources {
  requests: { cpu: string; memory: string };
  /** No CPU limit by default: throttling a proxy adds latency to every call. */
  limits: { cpu?: string; memory?: string };
}

export interface InjectOptions {
  /** Runtime image (Dockerfile target `runtime`); its ENTRYPOINT is `meshlet`, the sidecar gets `args: [run]`. */
  proxyImage: string;
  /** Init image (Dockerfile target `init`) with iptables; gets `args: [init-iptables, ...]`. */
  initImage: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Init container with `restartPolicy: Always` (Kubernetes ≥ 1.29); else proxy first + postStart wait. */
  nativeSidecar: boolean;
  /** Name of the mesh ConfigMap mounted at /etc/meshlet. */
  meshConfigMap: string;
  /** Mount an emptyDir at /tmp in the proxy (its root file system is read-only). */
  tmpVolume: boolean;
  /** Point app HTTP probes at the admin port (needed under strict mTLS). */
  rewriteProbes: boolean;
  /** Add prometheus.io/* scrape annotations for the admin port when the pod has none. */
  prometheusAnnotations: boolean;
  resources: ProxyResources;
  /** Recorded in the status annotation. */
  meshletVersion: string;
}

export const DEFAULT_INJECT_OPTIONS: Readonly<InjectOptions> = Object.freeze({
  proxyImage: 'ghcr.io/meshlet/meshlet:0.1.0',
  initImage: 'ghcr.io/meshlet/meshlet-init:0.1.0',
  nativeSidecar: true,
  meshConfigMap: 'meshlet-mesh',
  tmpVolume: false,
  rewriteProbes: true,
  prometheusAnnotations: true,
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
  meshletVersion: '0.1.0',
});

export interface PodContext {
  /** Name of the owning workload (Deployment, CronJob, ...) or the pod: the service name fallback. */
  workloadName: string;
}

export type PodInjection =
  | { injected: true; template: PodTemplate; warnings: string[] }
  | { injected: false; reason: string; warnings: string[] };

/** What `meshlet.dev/status` records, so re-injection and uninstall tooling know what is ours. */
export interface InjectionStatus {
  version: string;
  nativeSidecar: boolean;
  initContainers: string[];
  containers: string[];
  volumes: string[];
}

/**
 * Injects the sidecar into a pod template. Returns `injected: false` with a
 * reason (and a warning where the user should hear about it) for pods that
 * must not be touched: already injected, or on the host network. Throws
 * InjectError for invalid meshlet.dev/* annotations.
 */
export function injectPod(input: PodTemplate, context: PodContext, options: InjectOptions): PodInjection {
  const warnings: string[] = [];
  const annotations = input.metadata?.annotations ?? {};
  if (isInjected(input)) return { injected: false, reason: 'already injected', warnings };
  if (input.spec.hostNetwork === true) {
    warnings.push(
      `${context.workloadName}: hostNetwork pod not injected (capture would redirect the node's traffic)`,
    );
    return { injected: false, reason: 'hostNetwork', warnings };
  }

  const template = structuredClone(input);
  const spec = template.spec;
  const metadata = (template.metadata ??= {});
  const labels = metadata.labels ?? {};
  const appContainers = spec.containers;

  checkNameClashes(template);
  warnOnProxyUid(template, warnings);

  const appPort = resolveAppPort(appContainers, annotations, warnings, context.workloadName);
  const probers = options.rewriteProbes ? rewriteAppProbes(appContainers, PORTS.admin, warnings) : {};

  const env: EnvVar[] = [
    {
      name: ENV.service,
      value: labels['app.kubernetes.io/name'] ?? labels.app ?? context.workloadName,
    },
    // The Deployment (etc.) name, for the *_workload metric labels, as in Istio.
    { name: ENV.workload, value: context.workloadName },
    { name: ENV.version, value: labels.version ?? labels['app.kubernetes.io/version'] ?? 'unknown' },
    fieldEnv(ENV.namespace, 'metadata.namespace'),
    fieldEnv(ENV.serviceAccount, 'spec.serviceAccountName'),
    // Where our volumes are mounted, and the ports meshlet-init redirects to:
    // explicit, so they cannot drift from the image's defaults.
    { name: ENV.config, value: MESH_CONFIG_FILE },
    { name: ENV.tlsDir, value: TLS_DIR },
    { name: ENV.outboundPort, value: String(PORTS.outbound) },
    { name: ENV.inboundPort, value: String(PORTS.inbound) },
    { name: ENV.adminPort, value: String(PORTS.admin) },
    // kubelet probes the admin port on the pod IP, so it cannot stay on loopback.
    { name: ENV.bind, value: '0.0.0.0' },
  ];
  if (appPort !== undefined) env.push({ name: ENV.appPort, value: String(appPort) });
  if (Object.keys(probers).length > 0) env.push({ name: ENV.appProbers, value: JSON.stringify(probers) });

  const proxy = proxyContainer(env, proxyResources(annotations, options.resources), options);
  const init = initContainer(annotations, options);

  if (options.nativeSidecar) {
    // After capture is installed, before the user's init containers, so those
    // already have a working proxy; kubelet waits for its startupProbe.
    spec.initContainers = [init, { ...proxy, restartPolicy: 'Always' }, ...(spec.initContainers ?? [])];
  } else {
    spec.initContainers = [init, ...(spec.initContainers ?? [])];
    // First in the list and a blocking postStart hook: kubelet starts the app
    // containers only after the hook returns, i.e. once /ready answers 200.
    spec.containers = [
      { ...proxy, lifecycle: { postStart: { exec: { command: waitReadyCommand() } } } },
      ...appContainers,
    ];
  }
  const ourVolumes = volumes(options);
  spec.volumes = [...(spec.volumes ?? []), ...ourVolumes];

  const status: InjectionStatus = {
    version: options.meshletVersion,
    nativeSidecar: options.nativeSidecar,
    initContainers: options.nativeSidecar ? [INIT_CONTAINER, PROXY_CONTAINER] : [INIT_CONTAINER],
    containers: options.nativeSidecar ? [] : [PROXY_CONTAINER],
    volumes: ourVolumes.map((v) => v.name),
  };
  const newAnnotations: Record<string, string> = {
    ...annotations,
    [ANNOTATION.status]: JSON.stringify(status),
  };
  if (
    newAnnotations['kubectl.kubernetes.io/default-container'] === undefined &&
    appContainers[0] !== undefined
  ) {
    newAnnotations['kubectl.kubernetes.io/default-container'] = appContainers[0].name;
  }
  if (options.prometheusAnnotations && newAnnotations['prometheus.io/scrape'] === undefined) {
    newAnnotations['prometheus.io/scrape'] = 'true';
    newAnnotations['prometheus.io/port'] = String(PORTS.admin);
    newAnnotations['prometheus.io/path'] = '/metrics';
  }
  metadata.annotations = newAnnotations;
  metadata.labels = { ...labels, [INJECTED_LABEL]: 'true' };
  return { injected: true, template, warnings };
}

/** Injected before: our status annotation or one of our containers is there. */
export function isInjected(template: PodTemplate): boolean {
  if (template.metadata?.annotations?.[ANNOTATION.status] !== undefined) return true;
  const names = [...template.spec.containers, ...(template.spec.initContainers ?? [])].map((c) => c.name);
  return names.includes(PROXY_CONTAINER) || names.includes(INIT_CONTAINER);
}

/**
 * The app port: `meshlet.dev/app-port` (a number, or the name of a port of
 * an app container), else the first container's first port.
 */
function resolveAppPort(
  containers: Container[],
  annotations: Record<string, string>,
  warnings: string[],
  workload: string,
): number | undefined {
  const raw = annotations[ANNOTATION.appPort]?.trim();
  if (raw !== undefined && raw !== '') {
    const port = /^\d+$/.test(raw)
      ? Number(raw)
      : containers.map((c) => resolveContainerPort(c, raw)).find((p) => p !== undefined);
    if (port === undefined || port < 1 || port > 65535) {
      throw new InjectError(
        `annotation ${ANNOTATION.appPort}: '${raw}' is neither a port number nor a named container port`,
      );
    }
    return port;
  }
  const port = containers[0]?.ports?.[0]?.containerPort;
  if (port === undefined) {
    warnings.push(
      `${workload}: no app port (no ${ANNOTATION.appPort} annotation, first container declares no port)`,
    );
  }
  return port;
}

function proxyResources(
  annotations: Record<string, string>,
  defaults: ProxyResources,
): Record<string, unknown> {
  const requests: Record<string, string> = { ...defaults.requests };
  const limits: Record<string, string> = {};
  for (const [resource, requestKey, limitKey] of [
    ['cpu', ANNOTATION.proxyCpu, ANNOTATION.proxyCpuLimit],
    ['memory', ANNOTATION.proxyMemory, ANNOTATION.proxyMemoryLimit],
  ] as const) {
    const annotated = annotations[requestKey]?.trim();
    const request = annotated || defaults.requests[resource];
    const requestValue = quantityValue(
      request,
      annotated ? `annotation ${requestKey}` : `default ${resource} request`,
    );
    requests[resource] = request;
    const explicitLimit = annotations[limitKey]?.trim();
    const defaultLimit = defaults.limits[resource];
    if (explicitLimit) {
      if (quantityValue(explicitLimit, `annotation ${limitKey}`) < requestValue) {
        throw new InjectError(
          `annotation ${limitKey}: limit ${explicitLimit} is below the request ${requests[resource]}`,
        );
      }
      limits[resource] = explicitLimit;
    } else if (defaultLimit !== undefined) {
      // A default limit below an annotated request would make the pod
      // invalid: the request then doubles as the limit.
      limits[resource] =
        quantityValue(defaultLimit, `default ${resource} limit`) < requestValue
          ? requests[resource]!
          : defaultLimit;
    }
  }
  return Object.keys(limits).length > 0 ? { requests, limits } : { requests };
}

function proxyContainer(
  env: EnvVar[],
  resources: Record<string, unknown>,
  options: InjectOptions,
): Container {
  const adminGet = (path: string) => ({ httpGet: { path, port: PORTS.admin, scheme: 'HTTP' } });
  const mounts = [
    { name: VOLUME_MESH, mountPath: MESH_CONFIG_DIR, readOnly: true },
    { name: VOLUME_CERTS, mountPath: TLS_DIR, readOnly: true },
  ];
  if (options.tmpVolume) mounts.push({ name: VOLUME_TMP, mountPath: '/tmp', readOnly: false });
  return {
    name: PROXY_CONTAINER,
    image: options.proxyImage,
    ...(options.imagePullPolicy === undefined ? {} : { imagePullPolicy: options.imagePullPolicy }),
    command: [...PROXY_COMMAND],
    args: ['run'],
    ports: [
      { name: 'meshlet-out', containerPort: PORTS.outbound, protocol: 'TCP' },
      { name: 'meshlet-in', containerPort: PORTS.inbound, protocol: 'TCP' },
      { name: 'meshlet-admin', containerPort: PORTS.admin, protocol: 'TCP' },
    ],
    env,
    resources,
    volumeMounts: mounts,
    securityContext: {
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    startupProbe: { ...adminGet('/ready'), periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 120 },
    readinessProbe: { ...adminGet('/ready'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
    livenessProbe: { ...adminGet('/healthz'), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

function initContainer(annotations: Record<string, string>, options: InjectOptions): Container {
  const args = [
    'init-iptables',
    '--proxy-uid',
    String(PROXY_UID),
    '--outbound-port',
    String(PORTS.outbound),
    '--inbound-port',
    String(PORTS.inbound),
    '--admin-port',
    String(PORTS.admin),
  ];
  const optional: Array<[string, string]> = [
    ['--exclude-outbound-ports', parsePortList(annotations, ANNOTATION.excludeOutboundPorts)],
    ['--exclude-inbound-ports', parsePortList(annotations, ANNOTATION.excludeInboundPorts)],
    ['--include-outbound-ports', parsePortList(annotations, ANNOTATION.includeOutboundPorts)],
    ['--exclude-outbound-ip-ranges', parseCidrList(annotations, ANNOTATION.excludeOutboundIpRanges)],
  ];
  for (const [flag, value] of optional) if (value !== '') args.push(flag, value);
  return {
    name: INIT_CONTAINER,
    image: options.initImage,
    ...(options.imagePullPolicy === undefined ? {} : { imagePullPolicy: options.imagePullPolicy }),
    args,
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
    // iptables needs root with NET_ADMIN/NET_RAW in the pod's network
    // namespace, and writes its lock file under /run.
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      readOnlyRootFilesystem: false,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

function volumes(options: InjectOptions): Volume[] {
  const list: Volume[] = [
    { name: VOLUME_MESH, configMap: { name: options.meshConfigMap } },
    {
      name: VOLUME_CERTS,
      // cert-manager csi-driver-spiffe writes tls.crt, tls.key, ca.crt with the
      // pod's SPIFFE ID; fs-group lets the proxy's group read the key.
      csi: {
        driver: 'spiffe.csi.cert-manager.io',
        readOnly: true,
        volumeAttributes: { 'spiffe.csi.cert-manager.io/fs-group': String(PROXY_UID) },
      },
    },
  ];
  if (options.tmpVolume) list.push({ name: VOLUME_TMP, emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } });
  return list;
}

/**
 * postStart command for the legacy (non-native) mode: polls the admin
 * port's /ready with the image's node, exits 0 once it answers 200, 1 after
 * two minutes (kubelet then restarts the container).
 */
export function waitReadyCommand(): string[] {
  const script = [
    `const port = process.env.${ENV.adminPort} ?? '${PORTS.admin}';`,
    'const deadline = Date.now() + 120000;',
    'for (;;) {',
    "  try { if ((await fetch('http://127.0.0.1:' + port + '/ready')).status === 200) process.exit(0); } catch {}",
    '  if (Date.now() > deadline) process.exit(1);',
    '  await new Promise((r) => setTimeout(r, 250));',
    '}',
  ].join('\n');
  return ['node', '--input-type=module', '-e', script];
}

function fieldEnv(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

function checkNameClashes(template: PodTemplate): void {
  const ours = new Set([VOLUME_MESH, VOLUME_CERTS, VOLUME_TMP]);
  const clash = template.spec.volumes?.find((v) => ours.has(v.name));
  if (clash !== undefined)
    throw new InjectError(`pod already has a volume named '${clash.name}', which meshlet needs`);
}

// Traffic from the proxy's UID bypasses capture: an app running as that UID would
// silently leave the mesh.
function warnOnProxyUid(template: PodTemplate, warnings: string[]): void {
  const podUid = template.spec.securityContext?.runAsUser;
  for (const c of template.spec.containers) {
    if ((c.securityContext?.runAsUser ?? podUid) === PROXY_UID) {
      warnings.push(
        `container ${c.name} runs as UID ${PROXY_UID}, the proxy's UID: its traffic bypasses the mesh`,
      );
    }
  }
}
