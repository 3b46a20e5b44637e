// Rewrite and header steps (outbound): the matched path prefix and the Host
// replaced before forwarding, and the route's request header set/add/remove
// applied to the forwarded headers (after the sidecar's own, which a route
// cannot touch). Response headers are rewritten by the forward core through
// the plan's hook. See docs/configuration.md ("Traffic policy").
import {
  applyHeaderRewrite,
  type CompiledHeaderRewrite,
  type CompiledHeaders,
} from '../../policy/headers.ts';
import { type CompiledRewrite, rewriteTarget } from '../../policy/rewrite.ts';
import { setHost } from '../forwarded.ts';

/** The request target to forward, with the Host in `headers` replaced when the rewrite names one. */
export function applyRewrite(rewrite: CompiledRewrite, path: string, headers: string[]): string {
  if (rewrite.host !== null) setHost(headers, rewrite.host);
  return rewriteTarget(rewrite, path);
}

/** Edits the forwarded request headers; returns the response rewrite for the forward core, or null. */
export function applyRequestHeaders(
  rewrite: CompiledHeaders,
  headers: string[],
): ((out: string[]) => void) | null {
  if (rewrite.request !== null) applyHeaderRewrite(rewrite.request, headers);
  const response = rewrite.response;
  if (response === null) return null;
  let hook = responseHooks.get(response);
  if (hook === undefined) responseHooks.set(response, (hook = (out) => applyHeaderRewrite(response, out)));
  return hook;
}

// One hook per compiled rewrite, made on first use: nothing allocated per request.
const responseHooks = new WeakMap<CompiledHeaderRewrite, (out: string[]) => void>();
