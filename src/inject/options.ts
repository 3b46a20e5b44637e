// Command-line flags shared by `meshlet inject` and `meshlet webhook`, each
// with an environment fallback so the chart can set them either way.
import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_INJECT_OPTIONS, type InjectOptions } from './sidecar.ts';

export const INJECT_FLAGS = {
  'proxy-image': { type: 'string' },
  'init-image': { type: 'string' },
  'image-pull-policy': { type: 'string' },
  'native-sidecar': { type: 'boolean' },
  'mesh-configmap': { type: 'string' },
  'tmp-volume': { type: 'boolean' },
  'rewrite-probes': { type: 'boolean' },
  'prometheus-annotations': { type: 'boolean' },
  'proxy-cpu': { type: 'string' },
  'proxy-memory': { type: 'string' },
  'proxy-memory-limit': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const INJECT_FLAGS_HELP = `injection options (env fallback in brackets):
  --proxy-image IMAGE          sidecar image [MESHLET_PROXY_IMAGE] (default ${DEFAULT_INJECT_OPTIONS.proxyImage})
  --init-image IMAGE           init image with iptables [MESHLET_INIT_IMAGE] (default ${DEFAULT_INJECT_OPTIONS.initImage})
  --image-pull-policy POLICY   Always | IfNotPresent | Never [MESHLET_IMAGE_PULL_POLICY]
  --[no-]native-sidecar        proxy as an init container with restartPolicy Always (default on) [MESHLET_NATIVE_SIDECAR]
  --mesh-configmap NAME        mesh ConfigMap to mount (default meshlet-mesh) [MESHLET_MESH_CONFIGMAP]
  --[no-]tmp-volume            emptyDir at /tmp in the proxy (default off) [MESHLET_TMP_VOLUME]
  --[no-]rewrite-probes        send app HTTP probes through the admin port (default on) [MESHLET_REWRITE_PROBES]
  --[no-]prometheus-annotations  add prometheus.io/* scrape annotations (default on)
  --proxy-cpu Q --proxy-memory Q --proxy-memory-limit Q   default proxy resources
`;

type FlagValues = {
  [K in keyof typeof INJECT_FLAGS]?: (typeof INJECT_FLAGS)[K]['type'] extends 'boolean' ? boolean : string;
};

/** Flags, then MESHLET_* environment, then defaults. Throws on an invalid value. */
export function injectOptionsFrom(values: FlagValues, env: NodeJS.ProcessEnv = process.env): InjectOptions {
  const d = DEFAULT_INJECT_OPTIONS;
  const pullPolicy = values['image-pull-policy'] ?? env.MESHLET_IMAGE_PULL_POLICY;
  if (pullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(pullPolicy)) {
    throw new Error(`--image-pull-policy must be Always, IfNotPresent or Never, not '${pullPolicy}'`);
  }
  return {
    ...d,
    meshletVersion: meshletVersion(),
    proxyImage: values['proxy-image'] ?? env.MESHLET_PROXY_IMAGE ?? d.proxyImage,
    initImage: values['init-image'] ?? env.MESHLET_INIT_IMAGE ?? d.initImage,
    ...(pullPolicy === undefined ? {} : { imagePullPolicy: pullPolicy as InjectOptions['imagePullPolicy'] }),
    nativeSidecar:
      values['native-sidecar'] ??
      envFlag(env.MESHLET_NATIVE_SIDECAR, 'MESHLET_NATIVE_SIDECAR') ??
      d.nativeSidecar,
    meshConfigMap: values['mesh-configmap'] ?? env.MESHLET_MESH_CONFIGMAP ?? d.meshConfigMap,
    tmpVolume: values['tmp-volume'] ?? envFlag(env.MESHLET_TMP_VOLUME, 'MESHLET_TMP_VOLUME') ?? d.tmpVolume,
    rewriteProbes:
      values['rewrite-probes'] ??
      envFlag(env.MESHLET_REWRITE_PROBES, 'MESHLET_REWRITE_PROBES') ??
      d.rewriteProbes,
    prometheusAnnotations: values['prometheus-annotations'] ?? d.prometheusAnnotations,
    resources: {
      requests: {
        cpu: values['proxy-cpu'] ?? d.resources.requests.cpu,
        memory: values['proxy-memory'] ?? d.resources.requests.memory,
      },
      limits: {
        ...d.resources.limits,
        ...(values['proxy-memory-limit'] ? { memory: values['proxy-memory-limit'] } : {}),
      },
    },
  };
}

function envFlag(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new Error(`${name} must be true or false, not '${value}'`);
}

/** The version in package.json (src/inject and dist/inject both sit two levels below it). */
export function meshletVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
