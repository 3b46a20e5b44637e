// The pod contract: what the injector (inject/sidecar.ts), the capture rules
// (capture/rules.ts) and the sidecar (`meshlet run`) must agree on. The ports
// the iptables rules redirect to, the UID whose traffic they leave alone, the
// mount paths, and the names of the environment variables the injector sets
// for the proxy container. See docs/kubernetes.md and docs/traffic-capture.md.

/** Listener ports. The admin port is never captured (kubelet probes, Prometheus). */
export const PORTS = Object.freeze({ outbound: 15001, inbound: 15006, admin: 15000 });

/**
 * The flags node runs `meshlet run` with: a 4 MiB young generation, and
 * external (Buffer) memory counted in V8's GC limits, which keep garbage out
 * of RSS (docs/performance.md). The injected proxy command is built from
 * them; the Dockerfile, bin/meshlet.js and the `start` script spell them out,
 * and tests hold each to this list.
 */
export const NODE_FLAGS: readonly string[] = Object.freeze([
  '--max-semi-space-size=4',
  '--external-memory-accounted-in-global-limit',
]);

/** UID (and GID) the proxy runs as; the capture rules never redirect its own traffic. */
export const PROXY_UID = 1337;

/** The mesh ConfigMap's mount. */
export const MESH_CONFIG_DIR = '/etc/meshlet';
export const MESH_CONFIG_FILE = `${MESH_CONFIG_DIR}/mesh.yaml`;

/** Where the pod's certificate, key and trust bundle are mounted (tls.crt, tls.key, ca.crt). */
export const TLS_DIR = '/var/run/secrets/meshlet';

/** Environment variables the injector sets and `meshlet run` reads. */
export const ENV = Object.freeze({
  service: 'MESHLET_SERVICE',
  workload: 'MESHLET_WORKLOAD',
  namespace: 'MESHLET_NAMESPACE',
  version: 'MESHLET_VERSION',
  serviceAccount: 'MESHLET_SERVICE_ACCOUNT',
  config: 'MESHLET_CONFIG',
  tlsDir: 'MESHLET_TLS_DIR',
  outboundPort: 'MESHLET_OUTBOUND_PORT',
  inboundPort: 'MESHLET_INBOUND_PORT',
  adminPort: 'MESHLET_ADMIN_PORT',
  bind: 'MESHLET_BIND',
  appPort: 'MESHLET_APP_PORT',
  appProbers: 'MESHLET_APP_PROBERS',
});

/** Optional resolver override (host:port list) for DNS endpoint discovery; never injected. */
export const DNS_SERVERS_ENV = 'MESHLET_DNS_SERVERS';
