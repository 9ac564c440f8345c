{{/* SPDX-License-Identifier: Apache-2.0 */}}
{{- define "rtsec.labels" -}}
app.kubernetes.io/name: rtsec
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
{{- define "rtsec.selector" -}}
app.kubernetes.io/name: rtsec
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "rtsec.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
