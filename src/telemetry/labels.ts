// Request metric labels: how each listener's label set is built, and the one
// caching rule for recorders. Label values come from the compiled config, the
// pod's identity and the verified peer; the caller's own claims (the
// x-meshlet-source peer-metadata header) are admitted only up to a bound.
import type { CompiledMesh, CompiledService, SidecarIdentity, VersionTarget } from '../config/types.ts';
import { workloadSpiffeId } from '../tls/spiffe.ts';
import type { MeshMetrics, RequestRecorder, StaticRequestLabels } from './types.ts';

/** Most label sets one cache admits between config changes; the rest share an overflow set. */
export const MAX_LABEL_SETS = 512;

/**
 * The one caching rule: a recorder per label-set key, at most `max` of them,
 * all dropped when the config changes (labels name the config's FQDNs and
 * versions). A key beyond the bound gets the overflow recorder, so values
 * from the network never grow the label sets without bound.
 */
export class RecorderCache {
  readonly #metrics: MeshMetrics;
  readonly #max: number;
  readonly #overflow: () => StaticRequestLabels;
  readonly #recorders = new Map<string, RequestRecorder>();

  constructor(metrics: MeshMetrics, overflow: () => StaticRequestLabels, max = MAX_LABEL_SETS) {
    this.#metrics = metrics;
    this.#overflow = overflow;
    this.#max = max;
  }

  get(key: string, labels: () => StaticRequestLabels): RequestRecorder {
    let r = this.#recorders.get(key);
    if (r !== undefined) return r;
    if (this.#recorders.size >= this.#max) return this.#metrics.recorder(this.#overflow());
    r = this.#metrics.recorder(labels());
    this.#recorders.set(key, r);
    return r;
  }

  get size(): number {
    return this.#recorders.size;
  }

  clear(): void {
    this.#recorders.clear();
  }
}

/** Istio's names for traffic outside the registry: passed through, or refused under registryOnly. */
export type Unregistered = 'PassthroughCluster' | 'BlackHoleCluster';

/** Labels the caller's sidecar reports (reporter="source"). */
export function outboundLabels(
  self: SidecarIdentity,
  trustDomain: string,
  service: CompiledService | null,
  version: VersionTarget | null,
  unregistered: Unregistered = 'PassthroughCluster',
): StaticRequestLabels {
  return {
    reporter: 'source',
    source_workload: self.workload,
    source_workload_namespace: self.namespace,
    source_version: self.version,
    source_principal: workloadSpiffeId(trustDomain, self.namespace, self.serviceAccount),
    destination_workload: service?.name ?? 'unknown',
    destination_workload_namespace: service?.namespace ?? 'unknown',
    // Hosts outside the registry never become label values (unbounded cardinality).
    destination_service: service?.fqdn ?? unregistered,
    destination_service_name: service?.name ?? unregistered,
    destination_version: version?.name ?? 'unknown',
    request_protocol: 'http',
    connection_security_policy: 'unknown',
  };
}

const UNKNOWN_SOURCE = ['unknown', 'unknown', 'unknown'] as const;
const NAME = /^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$/;

/** `workload;namespace;version` from the caller's sidecar; anything malformed is `unknown`. */
export function parseSource(value: string | undefined): readonly [string, string, string] {
  if (value === undefined) return UNKNOWN_SOURCE;
  const parts = value.split(';');
  if (parts.length !== 3 || !parts.every((p) => NAME.test(p))) return UNKNOWN_SOURCE;
  return [parts[0]!, parts[1]!, parts[2]!];
}

function principalNamespace(principal: string): string | null {
  const m = /\/ns\/([^/]+)\/sa\//.exec(principal);
  return m === null ? null : m[1]!;
}

/** Labels the callee's sidecar reports (reporter="destination"). */
export function inboundLabels(
  self: SidecarIdentity,
  mesh: CompiledMesh,
  source: string | undefined,
  principal: string | null,
  mtls: boolean,
): StaticRequestLabels {
  const [workload, namespace, version] = parseSource(source);
  const service = mesh.services.get(self.service);
  return {
    reporter: 'destination',
    source_workload: workload,
    // The verified certificate's namespace wins over what the caller says.
    source_workload_namespace: principal === null ? namespace : (principalNamespace(principal) ?? namespace),
    source_version: version,
    source_principal: principal ?? 'unknown',
    destination_workload: self.workload,
    destination_workload_namespace: self.namespace,
    destination_service: service?.fqdn ?? `${self.service}.${self.namespace}.svc.cluster.local`,
    destination_service_name: self.service,
    destination_version: self.version,
    request_protocol: 'http',
    connection_security_policy: mtls ? 'mutual_tls' : 'none',
  };
}
