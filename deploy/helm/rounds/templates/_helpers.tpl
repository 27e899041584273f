{{/*
Names, labels and the platform's shape. The components are the services declared in files/topology.yaml
(a link to rounds/topology.yaml, which the code reads) plus the gateway.
*/}}

{{- define "rounds.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rounds.fullname" -}}
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

{{- define "rounds.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "rounds.labels" -}}
helm.sh/chart: {{ include "rounds.chart" . }}
app.kubernetes.io/name: {{ include "rounds.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: rounds
{{- end }}

{{/* Selects every pod of the release. */}}
{{- define "rounds.releaseSelector" -}}
app.kubernetes.io/name: {{ include "rounds.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selects one component's pods; call with (dict "root" $ "name" "people"). */}}
{{- define "rounds.selectorLabels" -}}
{{ include "rounds.releaseSelector" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* The object name of a component: <fullname>-<component>. */}}
{{- define "rounds.componentName" -}}
{{- printf "%s-%s" (include "rounds.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* files/topology.yaml as a dict. */}}
{{- define "rounds.topologyYaml" -}}
{{- $raw := .Files.Get "files/topology.yaml" }}
{{- if not $raw }}{{ fail "files/topology.yaml is missing: it links to rounds/topology.yaml; package the chart from a checkout of the repository" }}{{ end }}
{{- $raw }}
{{- end }}

{{/*
The components as a YAML list of {name, port, kind, values}: each service of the topology, then the gateway.
A component's values are componentDefaults overlaid with its block under components.
*/}}
{{- define "rounds.components" -}}
{{- $topology := include "rounds.topologyYaml" . | fromYaml }}
{{- $components := list }}
{{- range $name, $spec := $topology.services }}
{{- $components = append $components (dict "name" $name "port" (int $spec.port) "kind" "service") }}
{{- end }}
{{- $components = append $components (dict "name" "gateway" "port" (int $topology.gateway.port) "kind" "gateway") }}
{{- $known := list }}
{{- range $components }}{{ $known = append $known .name }}{{ end }}
{{- range $name, $_ := .Values.components }}
{{- if not (has $name $known) }}
{{- fail (printf "components.%s is not a component; the components are %s (files/topology.yaml)" $name (join ", " $known)) }}
{{- end }}
{{- end }}
{{- $out := list }}
{{- range $components }}
{{- $own := get $.Values.components .name | default dict }}
{{- $values := mergeOverwrite (deepCopy $.Values.componentDefaults) (deepCopy $own) }}
{{- $out = append $out (merge (dict "values" $values) .) }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The image reference: repository:tag, or repository@digest when a digest is given. */}}
{{- define "rounds.imageRef" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (toString (default .appVersion .image.tag)) }}
{{- end }}
{{- end }}

{{/* Where the processes send OTLP: the chart's collector unless telemetry.otlpEndpoint says otherwise. */}}
{{- define "rounds.otlpEndpoint" -}}
{{- if .Values.telemetry.otlpEndpoint }}
{{- .Values.telemetry.otlpEndpoint }}
{{- else if .Values.collector.enabled }}
{{- printf "http://%s-otel-collector:%d" (include "rounds.fullname" .) (int .Values.telemetry.otlpPort) }}
{{- end }}
{{- end }}

{{/* A service's database URL Secret reference; call with (dict "root" $ "component" $component). */}}
{{- define "rounds.databaseUrlEnv" -}}
{{- $db := .component.values.database | default dict -}}
- name: {{ printf "ROUNDS_%s_DATABASE_URL" (upper .component.name) }}
  valueFrom:
    secretKeyRef:
      name: {{ default .root.Values.database.existingSecret $db.secretName }}
      key: {{ default .component.name $db.secretKey }}
{{- end }}

{{/* People's field-encryption keys (access notes, key-safe codes), by reference to an existing Secret. */}}
{{- define "rounds.peopleFieldKeysEnv" -}}
- name: ROUNDS_PEOPLE_FIELD_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ .Values.people.fieldKeysSecret.name }}
      key: {{ .Values.people.fieldKeysSecret.key }}
{{- end }}

{{/* Pod security context shared by every pod: non-root, fixed high uid, the runtime's seccomp profile. */}}
{{- define "rounds.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container security context: read-only root, no privilege escalation, no capabilities. */}}
{{- define "rounds.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* An HTTP probe from a probe block ({path, initialDelaySeconds, ...}). */}}
{{- define "rounds.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: http
{{- range $key := list "initialDelaySeconds" "periodSeconds" "timeoutSeconds" "failureThreshold" "successThreshold" }}
{{- if hasKey $ $key }}
{{ $key }}: {{ get $ $key }}
{{- end }}
{{- end }}
{{- end }}

{{/* OTEL_RESOURCE_ATTRIBUTES: the pod and namespace (from the downward API), then telemetry.resourceAttributes. */}}
{{- define "rounds.resourceAttributes" -}}
{{- $attrs := list "k8s.pod.name=$(POD_NAME)" "k8s.namespace.name=$(POD_NAMESPACE)" }}
{{- range $key, $value := .Values.telemetry.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $key (toString $value)) }}
{{- end }}
{{- join "," $attrs }}
{{- end }}

{{/* One egress rule: (dict "peers" LIST "ports" LIST-OF-INT "protocols" LIST); no peers means any destination. */}}
{{- define "rounds.egressRule" -}}
- ports:
    {{- range $port := .ports }}
    {{- range $protocol := ($.protocols | default (list "TCP")) }}
    - {port: {{ $port }}, protocol: {{ $protocol }}}
    {{- end }}
    {{- end }}
  {{- with .peers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* DNS lookups, which every pod needs. */}}
{{- define "rounds.dnsEgress" -}}
{{ include "rounds.egressRule" (dict "peers" .Values.networkPolicy.dnsPeers "ports" (list 53) "protocols" (list "UDP" "TCP")) }}
{{- end }}

{{/* Egress to wherever the processes send OTLP. */}}
{{- define "rounds.collectorEgress" -}}
{{- if .Values.telemetry.otlpEndpoint }}
{{- include "rounds.egressRule" (dict "peers" .Values.telemetry.networkPolicyPeers "ports" (list .Values.telemetry.otlpPort)) }}
{{- else if .Values.collector.enabled }}
{{- include "rounds.egressRule" (dict "peers" (list (dict "podSelector" (dict "matchLabels" (include "rounds.selectorLabels" (dict "root" . "name" "otel-collector") | fromYaml)))) "ports" (list .Values.telemetry.otlpPort)) }}
{{- end }}
{{- end }}

{{/* The chart collector's configuration (same pipelines as deploy/otel-collector/config.yaml for compose). */}}
{{- define "rounds.collectorConfig" -}}
extensions:
  health_check:
    endpoint: 0.0.0.0:13133
receivers:
  otlp:
    protocols:
      http:
        endpoint: 0.0.0.0:4318
processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
    spike_limit_percentage: 20
  batch: {}
exporters:
  # Resource attributes (service.name = rounds-people, k8s.pod.name, ...) become labels, so the dashboards
  # can group by service_name.
  prometheus:
    endpoint: 0.0.0.0:8889
    resource_to_telemetry_conversion:
      enabled: true
  {{- if .Values.collector.tracesEndpoint }}
  otlp/traces:
    endpoint: {{ .Values.collector.tracesEndpoint }}
    tls:
      insecure: {{ .Values.collector.tracesInsecure }}
  {{- else }}
  debug:
    verbosity: basic
  {{- end }}
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [{{ if .Values.collector.tracesEndpoint }}otlp/traces{{ else }}debug{{ end }}]
    metrics:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [prometheus]
{{- end }}

{{/* The port of the OIDC JWKS URL: the one it names, else the scheme's. */}}
{{- define "rounds.jwksPort" -}}
{{- $url := urlParse .Values.gateway.oidc.jwksUrl }}
{{- $hostPort := splitList ":" $url.host }}
{{- if gt (len $hostPort) 1 }}{{ last $hostPort }}{{ else if eq $url.scheme "http" }}80{{ else }}443{{ end }}
{{- end }}

{{/*
Refuses gateway settings that cannot work: an OIDC issuer without its keys, or several gateway replicas on
the built-in issuer with no shared key (each pod would make its own, and refuse the others' tokens).
Call with (dict "root" $ "component" $gatewayComponent).
*/}}
{{- define "rounds.checkGateway" -}}
{{- $g := .root.Values.gateway }}
{{- $v := .component.values }}
{{- if and $g.oidc.issuer (not $g.oidc.jwksUrl) }}
{{- fail "gateway.oidc.jwksUrl: set it with gateway.oidc.issuer (where the issuer publishes its signing keys)" }}
{{- end }}
{{- if and $g.oidc.jwksUrl (not $g.oidc.issuer) }}
{{- fail "gateway.oidc.issuer: set it with gateway.oidc.jwksUrl (the iss the tokens carry)" }}
{{- end }}
{{- if and (not $g.oidc.issuer) (not $g.issuerKeySecret.name) (or $v.autoscaling.enabled (gt (int $v.replicas) 1)) }}
{{- fail "gateway.issuerKeySecret: more than one gateway replica on the built-in issuer needs one shared key (an existing Secret), or set gateway.oidc.issuer and gateway.oidc.jwksUrl" }}
{{- end }}
{{- end }}
