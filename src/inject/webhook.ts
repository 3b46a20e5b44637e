// The mutating admission webhook: AdmissionReview v1 in, AdmissionReview v1
// out with a base64 JSONPatch, over HTTPS. The same injectPod as `meshlet
// inject`. Two scopes, one per entry of the MutatingWebhookConfiguration:
//   /inject/namespace  pods in namespaces labelled meshlet-injection=enabled
//                      (the namespaceSelector decides): injected unless
//                      annotated meshlet.dev/inject: "false";
//   /inject/pod        pods anywhere else: injected only when annotated
//                      meshlet.dev/inject: "true".
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '../telemetry/log.ts';
import { InjectError, wantsInjection } from './annotations.ts';
import type { PodTemplate } from './k8s.ts';
import { jsonPatch } from './patch.ts';
import { type InjectOptions, injectPod } from './sidecar.ts';

export type InjectionScope = 'namespace' | 'pod';

/** A review the server cannot answer as a review: HTTP 400 with this message. */
export class MalformedReviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedReviewError';
  }
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
  status?: { code: number; message: string };
}

export interface AdmissionReviewOut {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** What happened to one review, for the log line. */
export interface ReviewOutcome {
  review: AdmissionReviewOut;
  pod: string;
  namespace: string;
  result: 'injected' | 'skipped' | 'denied';
  reason?: string;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Answers one AdmissionReview. Pure. Throws MalformedReviewError when the
 * body is not an AdmissionReview v1 request; answers `allowed: false` with
 * the reason when the pod's meshlet.dev/* annotations are invalid, so the
 * user sees why `kubectl apply` failed.
 */
export function reviewAdmission(body: unknown, scope: InjectionScope, options: InjectOptions): ReviewOutcome {
  const request = admissionRequest(body);
  const uid = request.uid;
  const respond = (response: Omit<AdmissionResponse, 'uid'>): AdmissionReviewOut => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid, ...response },
  });
  const pod = request.object as unknown as PodTemplate;
  const namespace = request.namespace ?? pod.metadata?.namespace ?? '';
  const podName = pod.metadata?.name ?? `${pod.metadata?.generateName ?? ''}<generated>`;
  const base = { pod: podName, namespace };
  const isPodCreate = request.kind?.kind === 'Pod' && (request.operation ?? 'CREATE') === 'CREATE';
  if (!isPodCreate) {
    return { ...base, review: respond({ allowed: true }), result: 'skipped', reason: 'not a pod creation' };
  }
  if (!wantsInjection(pod.metadata?.annotations, scope === 'namespace')) {
    return { ...base, review: respond({ allowed: true }), result: 'skipped', reason: 'not requested' };
  }
  let result: ReturnType<typeof injectPod>;
  try {
    result = injectPod(pod, { workloadName: workloadName(pod.metadata ?? {}) }, options);
  } catch (err) {
    if (!(err instanceof InjectError)) throw err;
    const message = `meshlet injection failed: ${err.message}`;
    return {
      ...base,
      review: respond({ allowed: false, status: { code: 400, message } }),
      result: 'denied',
      reason: message,
    };
  }
  const warnings = result.warnings.length > 0 ? { warnings: result.warnings } : {};
  if (!result.injected) {
    return {
      ...base,
      review: respond({ allowed: true, ...warnings }),
      result: 'skipped',
      reason: result.reason,
    };
  }
  const patch = jsonPatch(pod, result.template);
  const review = respond({
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
    ...warnings,
  });
  return { ...base, review, result: 'injected' };
}

interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  namespace?: string;
  operation?: string;
  object: Record<string, unknown>;
}

function admissionRequest(body: unknown): AdmissionRequest {
  if (typeof body !== 'object' || body === null) throw new MalformedReviewError('body is not a JSON object');
  const review = body as Record<string, unknown>;
  if (review.kind !== 'AdmissionReview' || review.apiVersion !== 'admission.k8s.io/v1') {
    throw new MalformedReviewError(
      `expected apiVersion admission.k8s.io/v1, kind AdmissionReview; got ${String(review.apiVersion)}, ${String(review.kind)}`,
    );
  }
  const request = review.request as Record<string, unknown> | undefined;
  if (typeof request !== 'object' || request === null)
    throw new MalformedReviewError('AdmissionReview has no request');
  if (typeof request.uid !== 'string' || request.uid === '')
    throw new MalformedReviewError('request.uid is missing');
  const object = request.object as Record<string, unknown> | undefined;
  const kind = (request.kind as AdmissionRequest['kind']) ?? {};
  if (
    kind.kind === 'Pod' &&
    (typeof object?.spec !== 'object' || !Array.isArray((object.spec as { containers?: unknown }).containers))
  ) {
    throw new MalformedReviewError('request.object is not a Pod with spec.containers');
  }
  return request as unknown as AdmissionRequest;
}

// Pods of a ReplicaSet are named `<deployment>-<pod-template-hash>-<random>`
// and arrive with only generateName; the deployment name is the better
// service-name fallback.
function workloadName(metadata: {
  name?: string;
  generateName?: string;
  labels?: Record<string, string>;
}): string {
  if (metadata.name) return metadata.name;
  let base = (metadata.generateName ?? 'unknown').replace(/-$/, '');
  const hash = metadata.labels?.['pod-template-hash'];
  if (hash !== undefined && base.endsWith(`-${hash}`)) base = base.slice(0, -hash.length - 1);
  return base;
}

export interface WebhookServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface WebhookServerOptions {
  port: number;
  host?: string;
  /** Directory with tls.crt and tls.key (a cert-manager Secret mount); reloaded when it changes. */
  tlsDir: string;
  inject: InjectOptions;
  log: Logger;
}

/** Starts the HTTPS webhook server: POST /inject/namespace, POST /inject/pod, GET /healthz, GET /ready. */
export async function startWebhook(opts: WebhookServerOptions): Promise<WebhookServer> {
  const readTls = () => ({
    cert: readFileSync(path.join(opts.tlsDir, 'tls.crt')),
    key: readFileSync(path.join(opts.tlsDir, 'tls.key')),
  });
  const server = https.createServer({ ...readTls(), minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      opts.log.error({ err }, 'webhook request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  // cert-manager renews the serving certificate in place: pick it up
  // without a restart, keep the old one while files are half-written.
  let reload: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(opts.tlsDir, () => {
    clearTimeout(reload);
    reload = setTimeout(() => {
      try {
        server.setSecureContext(readTls());
        opts.log.info({ tlsDir: opts.tlsDir }, 'webhook certificate reloaded');
      } catch (err) {
        opts.log.warn({ err }, 'webhook certificate reload failed, keeping the previous one');
      }
    }, 200);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(reload);
        watcher.close();
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: WebhookServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://webhook');
  if (req.method === 'GET' && (url.pathname === '/healthz' || url.pathname === '/ready')) {
    sendJson(res, 200, { status: 'ok' });
    return;
  }
  const scope =
    url.pathname === '/inject/namespace' ? 'namespace' : url.pathname === '/inject/pod' ? 'pod' : undefined;
  if (scope === undefined || req.method !== 'POST') {
    sendJson(res, 404, {
      error: `no route for ${req.method} ${url.pathname}; POST /inject/namespace or /inject/pod`,
    });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (err) {
    const message =
      err instanceof MalformedReviewError ? err.message : `body is not valid JSON: ${(err as Error).message}`;
    sendJson(res, 400, { error: message });
    return;
  }
  let outcome: ReviewOutcome;
  try {
    outcome = reviewAdmission(body, scope, opts.inject);
  } catch (err) {
    if (!(err instanceof MalformedReviewError)) throw err;
    opts.log.warn({ error: err.message }, 'malformed admission review');
    sendJson(res, 400, { error: `malformed AdmissionReview: ${err.message}` });
    return;
  }
  const { review, ...fields } = outcome;
  opts.log.info(
    { uid: review.response.uid, scope, ...fields, warnings: review.response.warnings },
    'admission review',
  );
  sendJson(res, 200, review);
}

// An oversized body is drained, not cut off, so the caller still gets the 400.
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new MalformedReviewError(`body larger than ${MAX_BODY_BYTES} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
