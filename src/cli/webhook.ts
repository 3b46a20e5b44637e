// `meshlet webhook --port 8443 --tls-dir DIR`: the mutating admission webhook
// the Helm chart deploys. Runs until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { INJECT_FLAGS, INJECT_FLAGS_HELP, injectOptionsFrom } from '../inject/options.ts';
import { startWebhook } from '../inject/webhook.ts';
import { log } from '../telemetry/log.ts';

const USAGE = `usage: meshlet webhook --tls-dir DIR [--port 8443] [--host 0.0.0.0] [options]

Serves AdmissionReview v1 over HTTPS with DIR/tls.crt and DIR/tls.key:
  POST /inject/namespace   pods in namespaces labelled meshlet-injection=enabled
  POST /inject/pod         pods annotated meshlet.dev/inject: "true"
  GET  /healthz, /ready

${INJECT_FLAGS_HELP}`;

export async function run(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    process.stderr.write(`meshlet webhook: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const tlsDir = values['tls-dir'] ?? process.env.MESHLET_WEBHOOK_TLS_DIR;
  const port = Number(values.port ?? process.env.MESHLET_WEBHOOK_PORT ?? 8443);
  if (tlsDir === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(
      `meshlet webhook: --tls-dir is required and --port must be a port number\n\n${USAGE}`,
    );
    return 2;
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
    process.stderr.write(`meshlet webhook: ${(err as Error).message}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await server.close();
  log.info('webhook stopped');
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowNegative: true,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'tls-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...INJECT_FLAGS,
    },
  });
}
