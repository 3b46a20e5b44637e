// When the sidecar is ready for traffic (/ready, and what a worker reports to
// the primary): its config is loaded, and where some traffic will use mTLS,
// its certificates are too. Draining overrides it (admin/server.ts).
import type { ConfigStore } from '../config/store.ts';
import type { TlsMaterial } from '../tls/material.ts';

/** The state readiness reads: the live config and the certificate source. */
export interface ReadinessInputs {
  readonly config: Pick<ConfigStore, 'current'>;
  readonly certificates: { readonly ready: boolean };
}

/** Certificates matter only where some traffic, in or out, may use mTLS (decided per config load). */
export function isReady({ config, certificates }: ReadinessInputs): boolean {
  return !config.current.pod.needsCertificates || certificates.ready;
}

/** Calls `report` now and whenever readiness may have changed (a rotation, a reload). */
export function watchReadiness(
  config: ConfigStore,
  material: TlsMaterial,
  report: (ready: boolean) => void,
): void {
  const status = () => report(isReady({ config, certificates: material }));
  status();
  material.on('rotate', status);
  config.on('change', status);
}
