// Validates Kubernetes objects against the API's OpenAPI schemas, using the
// validators compiled into kubernetes-models (and its cert-manager and
// prometheus-operator CRD packages). Unknown kinds are an error: a test that
// renders one must say how it is checked.
interface ModelClass {
  new (data: unknown): { validate(): void };
}

const CRD_PACKAGES: Record<string, string> = {
  'cert-manager.io': '@kubernetes-models/cert-manager',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

const cache = new Map<string, ModelClass>();

async function modelFor(apiVersion: string, kind: string): Promise<ModelClass> {
  const key = `${apiVersion}/${kind}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = CRD_PACKAGES[group!] ?? 'kubernetes-models';
  const specifier = group === '' ? `${pkg}/${version}/${kind}` : `${pkg}/${group}/${version}/${kind}`;
  let mod: Record<string, ModelClass>;
  try {
    mod = (await import(specifier)) as Record<string, ModelClass>;
  } catch {
    throw new Error(`no schema for ${key} (looked for ${specifier})`);
  }
  const model = mod[kind];
  if (model === undefined) throw new Error(`no schema for ${key} in ${specifier}`);
  cache.set(key, model);
  return model;
}

/** Throws with the object's kind/name and the schema error when `object` is invalid. */
export async function validateObject(object: unknown): Promise<void> {
  const o = object as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
  if (typeof o?.apiVersion !== 'string' || typeof o.kind !== 'string') {
    throw new Error(`not a Kubernetes object (no apiVersion/kind): ${JSON.stringify(object).slice(0, 200)}`);
  }
  if (o.kind === 'List') {
    for (const item of (object as { items?: unknown[] }).items ?? []) await validateObject(item);
    return;
  }
  const Model = await modelFor(o.apiVersion, o.kind);
  try {
    new Model(object).validate();
  } catch (err) {
    throw new Error(
      `${o.kind}/${o.metadata?.name ?? '?'} fails the ${o.apiVersion} schema: ${(err as Error).message}`,
    );
  }
}

/** Container names of a pod spec that appear twice (the API server rejects those). */
export function duplicateContainerNames(spec: {
  containers?: { name: string }[];
  initContainers?: { name: string }[];
}): string[] {
  const names = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.name);
  return names.filter((n, i) => names.indexOf(n) !== i);
}
