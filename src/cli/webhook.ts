// `meshlet webhook --port 8443 --tls-dir DIR`: the mutating admission webhook
// the Helm chart deploys. Runs until SIGTERM/SIGINT.
import { INJECT_FLAGS, INJECT_FLAGS_HELP, injectOptionsFrom } from '../inject/options.ts';
import { startWebhook } from '../inject/webhook.ts';
import { log } from '../telemetry/log.ts';
import { failure, runCommand, UsageError } from './args.ts';

export const USAGE = `usage: meshlet webhook --tls-dir DIR [--port 8443] [--host 0.0.0.0] [options]

Serves AdmissionReview v1 over HTTPS with DIR/tls.crt and DIR/tls.key:
  POST /inject/namespace   pods in namespaces labelled meshlet-injection=enabled
  POST /inject/pod         pods annotated meshlet.dev/inject: "true"
  GET  /healthz, /ready

  --tls-dir DIR                serving certificate and key [MESHLET_WEBHOOK_TLS_DIR] (required)
  -p, --port N                 HTTPS port [MESHLET_WEBHOOK_PORT] (default 8443)
  --host ADDR                  bind address (default 0.0.0.0)
  -h, --help                   this text

${INJECT_FLAGS_HELP}
examples:
  meshlet webhook --tls-dir /etc/webhook/tls
  MESHLET_WEBHOOK_PORT=9443 meshlet webhook --tls-dir ./certs/webhook --proxy-image registry.local/meshlet:dev
`;

export const OPTIONS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  'tls-dir': { type: 'string' },
  ...INJECT_FLAGS,
} as const;

export function run(argv: string[]): Promise<number> {
  return runCommand(
    'webhook',
    argv,
    { options: OPTIONS, usage: USAGE, allowNegative: true },
    async ({ values }) => {
      const tlsDir = values['tls-dir'] ?? process.env.MESHLET_WEBHOOK_TLS_DIR;
      const portText = values.port ?? process.env.MESHLET_WEBHOOK_PORT ?? '8443';
      const port = Number(portText);
      if (tlsDir === undefined) throw new UsageError('--tls-dir is required (or MESHLET_WEBHOOK_TLS_DIR)');
      if (!/^\d+$/.test(portText) || port > 65535) {
        throw new UsageError(`--port must be a port number (0-65535), not '${portText}'`);
      }
      let server: Awaited<ReturnType<typeof startWebhook>>;
      try {
        const inject = injectOptionsFrom(values);
        server = await startWebhook({ port, host: values.host ?? '0.0.0.0', tlsDir, inject, log });
        log.info(
          { port: server.port, tlsDir, nativeSidecar: inject.nativeSidecar, proxyImage: inject.proxyImage },
          'webhook listening',
        );
      } catch (err) {
        return failure('webhook', (err as Error).message);
      }
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await server.close();
      log.info('webhook stopped');
      return 0;
    },
  );
}
