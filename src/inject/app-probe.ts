// Replays one original app probe (see probes.ts) against the local app, the
// way kubelet would have: a GET on loopback, no keep-alive, certificates not
// verified for HTTPS, the probe's own timeout.

import https from 'node:https';
import http from '../runtime/node-http.ts';
import type { AppProber } from './probes.ts';

/**
 * Resolves with the app's HTTP status code, or 0 when there was no response
 * (connection refused, reset, timeout). Kubelet counts 200–399 as success;
 * the admin route answers with this code, or 503 for 0.
 */
export function probeApp(prober: AppProber, host = '127.0.0.1'): Promise<number> {
  const client = prober.scheme === 'HTTPS' ? https : http;
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/meshlet', accept: '*/*' };
  for (const h of prober.headers) headers[h.name.toLowerCase()] = h.value;
  return new Promise((resolve) => {
    const req = client.request({
      host,
      port: prober.port,
      path: prober.path,
      method: 'GET',
      headers,
      agent: false,
      rejectUnauthorized: false,
      timeout: prober.timeoutSeconds * 1000,
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('probe timeout')));
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * The admin route for rewritten probes: the status to answer `pathname`
 * with, or undefined when it is not one of the pod's app probes (answer 404).
 * The app's own status is passed through, so kubelet judges it as before;
 * no response at all becomes 503.
 */
export async function appHealthStatus(
  probers: ReadonlyMap<string, AppProber>,
  pathname: string,
): Promise<number | undefined> {
  const prober = probers.get(pathname);
  if (prober === undefined) return undefined;
  const status = await probeApp(prober);
  return status === 0 ? 503 : status;
}
