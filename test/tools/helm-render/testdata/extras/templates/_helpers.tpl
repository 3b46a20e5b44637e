{{- define "extras.who" -}}{{ .Release.Name }}@{{ .Release.Namespace }}{{- end -}}
