// `meshlet inject`: finds the pod template of each workload in a
// multi-document manifest and runs injectPod on it. Documents without a pod
// template (Services, ConfigMaps, CRDs, ...) come out exactly as they went in.
import { CST, Document, isNode, Parser, parseAllDocuments } from 'yaml';
import { InjectError, wantsInjection } from './annotations.ts';
import type { KubeObject, PodTemplate } from './k8s.ts';
import { type InjectOptions, injectPod } from './sidecar.ts';

export interface ObjectInjection {
  object: KubeObject;
  /** Pod templates injected in this object (a List can hold several). */
  injected: number;
  warnings: string[];
}

/** Where the pod template of a workload kind lives. */
function podTemplateOf(object: KubeObject): PodTemplate | undefined {
  const spec = object.spec as Record<string, unknown> | undefined;
  switch (object.kind) {
    case 'Pod':
      return object.spec === undefined ? undefined : (object as unknown as PodTemplate);
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return spec?.template as PodTemplate | undefined;
    case 'CronJob':
      return (
        (spec?.jobTemplate as Record<string, unknown> | undefined)?.spec as
          | Record<string, unknown>
          | undefined
      )?.template as PodTemplate | undefined;
    default:
      return undefined;
  }
}

function setPodTemplate(object: KubeObject, template: PodTemplate): KubeObject {
  const copy = structuredClone(object);
  if (copy.kind === 'Pod') return { ...copy, metadata: template.metadata, spec: template.spec };
  const spec = copy.spec as Record<string, unknown>;
  if (copy.kind === 'CronJob') {
    const jobSpec = (spec.jobTemplate as Record<string, unknown>).spec as Record<string, unknown>;
    jobSpec.template = template;
  } else {
    spec.template = template;
  }
  return copy;
}

/**
 * Injects one object (a `List` is walked item by item). Every workload is
 * injected unless it opts out with `meshlet.dev/inject: "false"` on the
 * object or its pod template; the other meshlet.dev/* settings are read from
 * the pod template, where the webhook sees them too. Throws InjectError for
 * invalid annotations.
 */
export function injectObject(object: KubeObject, options: InjectOptions): ObjectInjection {
  if (object.kind === 'List' && Array.isArray(object.items)) {
    const warnings: string[] = [];
    let injected = 0;
    const items = object.items.map((item: KubeObject) => {
      const result = injectObject(item, options);
      warnings.push(...result.warnings);
      injected += result.injected;
      return result.object;
    });
    return { object: { ...object, items }, injected, warnings };
  }
  const template = podTemplateOf(object);
  if (template?.spec === undefined) return { object, injected: 0, warnings: [] };
  const name = object.metadata?.name ?? 'unnamed';
  const optedIn =
    wantsInjection(object.metadata?.annotations, true) &&
    wantsInjection(template.metadata?.annotations, true);
  if (!optedIn) return { object, injected: 0, warnings: [] };
  let result: ReturnType<typeof injectPod>;
  try {
    result = injectPod(template, { workloadName: name }, options);
  } catch (err) {
    if (err instanceof InjectError) throw new InjectError(`${object.kind}/${name}: ${err.message}`);
    throw err;
  }
  if (!result.injected) return { object, injected: 0, warnings: result.warnings };
  return { object: setPodTemplate(object, result.template), injected: 1, warnings: result.warnings };
}

export interface ManifestInjection {
  /** The manifests again, injected where applicable; untouched documents keep their text. */
  output: string;
  injected: number;
  warnings: string[];
}

/**
 * `meshlet inject`: multi-document YAML in, multi-document YAML out. Documents
 * that are not injected are copied byte for byte from the input (comments,
 * flow style, quoting), using the CST to find each document's exact source.
 */
export function injectManifests(text: string, options: InjectOptions): ManifestInjection {
  const documents = parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(documents)) throw new InjectError('input is not a YAML stream');
  const firstError = documents.flatMap((doc) => doc.errors)[0];
  if (firstError !== undefined) throw new InjectError(`invalid YAML: ${firstError.message}`);

  const out: string[] = [];
  const warnings: string[] = [];
  let injected = 0;
  let index = 0;
  for (const token of new Parser().parse(text)) {
    const source = CST.stringify(token);
    if (token.type !== 'document') {
      out.push(source);
      continue;
    }
    const doc = documents[index++]!;
    const object = doc.toJS() as unknown;
    if (typeof object !== 'object' || object === null || Array.isArray(object)) {
      out.push(source);
      continue;
    }
    const result = injectObject(object as KubeObject, options);
    warnings.push(...result.warnings);
    if (result.injected === 0) {
      out.push(source);
      continue;
    }
    injected += result.injected;
    const replacement = new Document(result.object);
    // A comment after `---` belongs to the document or to its top node.
    replacement.commentBefore =
      doc.commentBefore ?? (isNode(doc.contents) ? (doc.contents.commentBefore ?? null) : null);
    const marker = token.start.some((t) => t.type === 'doc-start') ? '---\n' : '';
    out.push(marker + replacement.toString({ lineWidth: 0 }));
  }
  return { output: out.join(''), injected, warnings };
}
