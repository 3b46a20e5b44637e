// Every PromQL expression meshlet ships, for tests that run them against a
// real Prometheus: Grafana dashboard panels and variables (dashboards/*.json)
// and the canary analysis templates (config/canary/*.yaml), with their
// template variables filled in the way Grafana, Flagger and Argo Rollouts do.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');

export const DASHBOARDS: readonly string[] = ['meshlet-overview.json', 'meshlet-service.json'];

export interface ShippedQuery {
  /** Where it comes from, for failure messages: file, panel title, refId. */
  where: string;
  expr: string;
}

interface Panel {
  title: string;
  type: string;
  targets?: { expr?: string; refId: string }[];
  panels?: Panel[];
}

interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string; query: { query: string } | string }[] };
}

async function readDashboard(file: string): Promise<Dashboard> {
  return JSON.parse(await readFile(join(ROOT, 'dashboards', file), 'utf8')) as Dashboard;
}

/** Every panel target of one dashboard (rows' nested panels included), raw. */
export async function dashboardQueries(file: string): Promise<ShippedQuery[]> {
  const dash = await readDashboard(file);
  const out: ShippedQuery[] = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        assert.ok(t.expr, `${file} "${p.title}" ${t.refId} has no expr`);
        out.push({ where: `${file} "${p.title}" ${t.refId}`, expr: t.expr });
      }
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  return out;
}

/** Query variables of a dashboard as `label_values(selector, label)` parts. */
export async function dashboardVariables(
  file: string,
): Promise<{ name: string; selector: string; label: string }[]> {
  const dash = await readDashboard(file);
  const out: { name: string; selector: string; label: string }[] = [];
  for (const v of dash.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query.query;
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q);
    assert.ok(m, `${file} variable ${v.name}: ${q}`);
    out.push({ name: v.name, selector: m[1]!, label: m[2]! });
  }
  return out;
}

export interface GrafanaVars {
  namespace: string;
  service: string;
  /** What Grafana puts for $__rate_interval (at least 4 scrape intervals). */
  rateInterval: string;
  interval?: string;
  range?: string;
}

/** Fills in Grafana's built-in and dashboard variables as a viewer's browser would. */
export function grafanaSubstitute(expr: string, vars: GrafanaVars): string {
  return expr
    .replaceAll('$__rate_interval', vars.rateInterval)
    .replaceAll('$__interval', vars.interval ?? '5s')
    .replaceAll('$__range', vars.range ?? '5m')
    .replaceAll(/\$\{?namespace\}?/g, vars.namespace)
    .replaceAll(/\$\{?service\}?/g, vars.service);
}

export interface CanaryVars {
  /** Flagger's {{ namespace }}, {{ target }} (the canary workload) and {{ interval }}. */
  namespace: string;
  target: string;
  interval: string;
  /** Argo Rollouts' args.service-name (FQDN) and args.version. */
  serviceName: string;
  version: string;
}

/** The Flagger MetricTemplate and Argo AnalysisTemplate queries, variables filled in. */
export async function canaryQueries(vars: CanaryVars): Promise<ShippedQuery[]> {
  const out: ShippedQuery[] = [];
  for (const file of ['flagger-metric-templates.yaml', 'argo-analysis-template.yaml']) {
    const docs = parseAllDocuments(await readFile(join(ROOT, 'config', 'canary', file), 'utf8'));
    for (const doc of docs) {
      const o = doc.toJS() as {
        kind: string;
        metadata: { name: string };
        spec: { query?: string; metrics?: { name: string; provider: { prometheus: { query: string } } }[] };
      };
      if (o.kind === 'MetricTemplate') out.push({ where: `${file} ${o.metadata.name}`, expr: o.spec.query! });
      for (const m of o.spec.metrics ?? []) {
        out.push({ where: `${file} ${o.metadata.name}/${m.name}`, expr: m.provider.prometheus.query });
      }
    }
  }
  return out.map(({ where, expr }) => ({
    where,
    expr: expr
      .replaceAll('{{ namespace }}', vars.namespace)
      .replaceAll('{{ target }}', vars.target)
      .replaceAll('{{ interval }}', vars.interval)
      .replaceAll('{{args.service-name}}', vars.serviceName)
      .replaceAll('{{args.version}}', vars.version),
  }));
}
