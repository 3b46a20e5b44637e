// Kubelet's app probes, rewritten by the injector to the admin port
// (/app-health/<container>/<livez|readyz|startupz>) so they work under strict
// mTLS: each is replayed against the app as kubelet would have sent it, and
// the app's status is passed through. See docs/kubernetes.md.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { appHealthStatus } from '../inject/app-probe.ts';
import { APP_HEALTH_PREFIX, type AppProber } from '../inject/probes.ts';

/** The admin route for the pod's app probes; returns false for paths that are not app probes. */
export function appProbeRoute(
  probers: ReadonlyMap<string, AppProber>,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!path.startsWith(APP_HEALTH_PREFIX)) return false;
    void appHealthStatus(probers, path).then((status) => {
      res.writeHead(status ?? 404, { 'content-type': 'text/plain' });
      res.end(status === undefined ? 'no such app probe\n' : `${status}\n`);
    });
    return true;
  };
}
