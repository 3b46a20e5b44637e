{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "meshlet.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "meshlet.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "meshlet.webhookName" -}}
{{- printf "%s-webhook" (include "meshlet.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "meshlet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The app.kubernetes.io recommended labels. */}}
{{- define "meshlet.labels" -}}
helm.sh/chart: {{ include "meshlet.chart" . }}
app.kubernetes.io/name: {{ include "meshlet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: meshlet
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "meshlet.webhookSelectorLabels" -}}
app.kubernetes.io/name: {{ include "meshlet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "meshlet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "meshlet.webhookName" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "meshlet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "meshlet.initImage" -}}
{{- printf "%s:%s" .Values.initImage.repository (default .Chart.AppVersion .Values.initImage.tag) -}}
{{- end -}}

{{/* Native sidecars (restartPolicy Always init containers) are on by default from Kubernetes 1.29. */}}
{{- define "meshlet.nativeSidecar" -}}
{{- $mode := toString .Values.injection.nativeSidecar -}}
{{- if eq $mode "auto" -}}
{{- semverCompare ">=1.29-0" .Capabilities.KubeVersion.Version -}}
{{- else -}}
{{- eq $mode "true" -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the webhook's serving certificate. */}}
{{- define "meshlet.webhookTlsSecret" -}}
{{- if .Values.webhook.certManager.enabled -}}
{{- printf "%s-tls" (include "meshlet.webhookName" .) -}}
{{- else -}}
{{- required "webhook.tlsSecretName is required when webhook.certManager.enabled is false" .Values.webhook.tlsSecretName -}}
{{- end -}}
{{- end -}}
