// `meshlet inject` refuses an unrendered Helm template (YAML reads `{{ ... }}`
// in structure as flow mappings, so injecting would print nonsense), but
// leaves `{{` inside strings alone: rendered manifests carry Go templates too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { unrenderedTemplate } from '../../../src/cli/inject.ts';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'main.ts');

const inject = (stdin: string) =>
  spawnSync(process.execPath, [MAIN, 'inject', '-f', '-'], { input: stdin, encoding: 'utf8' });

const HELM_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: app
          image: "{{ .Values.image }}"
`;

describe('unrenderedTemplate', () => {
  it('finds an expression in a plain value', () => {
    assert.deepEqual(unrenderedTemplate(HELM_DEPLOYMENT), { line: 4, text: 'name: {{ .Release.Name }}' });
  });

  it('finds control lines, including ones that break the YAML', () => {
    const ifBlock = 'kind: Pod\nmetadata:\n  name: p\n{{- if .Values.x }}\n  labels: {a: b}\n{{- end }}\n';
    assert.deepEqual(unrenderedTemplate(ifBlock), { line: 4, text: '{{- if .Values.x }}' });
    const include = 'kind: Pod\nmetadata:\n  labels:\n    {{- include "chart.labels" . | nindent 4 }}\n';
    assert.equal(unrenderedTemplate(include)?.line, 4);
  });

  it('finds a template in a later document', () => {
    const text = `kind: Service\nmetadata: {name: s}\n---\n${HELM_DEPLOYMENT}`;
    assert.equal(unrenderedTemplate(text)?.line, 7);
  });

  it('leaves quoted and block strings with {{ alone', () => {
    const rule = `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: r
spec:
  groups:
    - name: g
      rules:
        - alert: Down
          annotations:
            summary: "{{ $labels.instance }} is down"
            description: |
              {{ $value }} for 5m
`;
    assert.equal(unrenderedTemplate(rule), null);
    assert.equal(unrenderedTemplate('kind: ConfigMap\ndata:\n  a: b\n'), null);
  });
});

describe('meshlet inject on a Helm template', () => {
  it('exits 1 with the line and the fix, printing nothing on stdout', () => {
    const r = inject(HELM_DEPLOYMENT);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      "meshlet inject: <stdin>:4: an unrendered Helm template ('name: {{ .Release.Name }}'); render it first: helm template RELEASE CHART | meshlet inject -f -\n",
    );
  });

  it('still injects a rendered manifest that carries {{ in a string', () => {
    const r = inject(
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    note: "{{ not a template here }}"\nspec:\n  containers: [{name: a, image: b, ports: [{containerPort: 8080}]}]\n',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /meshlet-proxy/);
  });
});
