{{/* Names and labels, as `helm create` scaffolds them. */}}
{{- define "chart.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "chart.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "chart.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "chart.labels" -}}
helm.sh/chart: {{ include "chart.chart" . }}
{{ include "chart.selectorLabels" . }}
app.kubernetes.io/version: {{ include "chart.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "chart.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chart.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one process kind: (dict "root" $ "component" "web"). */}}
{{- define "chart.componentLabels" -}}
{{ include "chart.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "chart.componentSelector" -}}
{{ include "chart.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "chart.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "chart.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "chart.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "chart.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "chart.imageTag" .) }}
{{- end }}

{{- define "chart.secretName" -}}
{{- default (include "chart.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "chart.mediaClaimName" -}}
{{- default (printf "%s-media" (include "chart.fullname" .)) .Values.media.existingClaim }}
{{- end }}

{{/* DJANGO_ALLOWED_HOSTS: the ingress hosts, then allowedHosts, without repeats. */}}
{{- define "chart.allowedHosts" -}}
{{- $hosts := list }}
{{- if .Values.ingress.enabled }}
{{- $hosts = concat $hosts .Values.ingress.hosts }}
{{- end }}
{{- $hosts = concat $hosts .Values.allowedHosts | uniq }}
{{- if not $hosts }}
{{- fail "set ingress.hosts or allowedHosts: Django answers only to the host names it is given" }}
{{- end }}
{{- join "," $hosts }}
{{- end }}

{{/* The worker's grace period: longer than a task may run, so a warm shutdown finishes it. */}}
{{- define "chart.workerGracePeriod" -}}
{{- $limit := int (default "300" .Values.config.CELERY_TASK_TIME_LIMIT) }}
{{- $grace := .Values.worker.terminationGracePeriodSeconds }}
{{- if kindIs "invalid" $grace }}
{{- add $limit 60 }}
{{- else if le (int $grace) $limit }}
{{- fail (printf "worker.terminationGracePeriodSeconds (%d) must be longer than CELERY_TASK_TIME_LIMIT (%d), or a warm shutdown kills running tasks" (int $grace) $limit) }}
{{- else }}
{{- $grace }}
{{- end }}
{{- end }}

{{/* The ConfigMap's data; also the migrations Job's hook copy, which exists before the release's. */}}
{{- define "chart.configData" -}}
{{- range $key, $value := .Values.config }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
DJANGO_ALLOWED_HOSTS: {{ include "chart.allowedHosts" . | quote }}
MEDIA_ROOT: {{ .Values.media.mountPath | quote }}
{{- end }}

{{/* One pod's security context, volumes and mounts, the same for every process kind. */}}
{{- define "chart.podSecurity" -}}
serviceAccountName: {{ include "chart.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "chart.containerBase" -}}
image: {{ include "chart.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end }}

{{/* envFrom for (dict "root" $ "configMap" name): the settings, then the secrets. */}}
{{- define "chart.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ .configMap }}
  - secretRef:
      name: {{ include "chart.secretName" .root }}
{{- end }}

{{/* /tmp is the only writable path the processes need besides media (readOnlyRootFilesystem). */}}
{{- define "chart.volumes" -}}
volumes:
  - name: tmp
    emptyDir: {}
  {{- if .media }}
  - name: media
    persistentVolumeClaim:
      claimName: {{ include "chart.mediaClaimName" .root }}
  {{- end }}
{{- end }}

{{- define "chart.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  {{- if .media }}
  - name: media
    mountPath: {{ .root.Values.media.mountPath }}
  {{- end }}
{{- end }}

{{- define "chart.podAnnotations" -}}
checksum/config: {{ include "chart.configData" . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ toJson .Values.secrets.values | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}
