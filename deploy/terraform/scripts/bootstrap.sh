#!/usr/bin/env bash
# ASHapp single-host bootstrap (run by cloud-init as root; safe to run again by hand):
#   k3s (pinned) -> ingress-nginx, kube-prometheus-stack, optional cert-manager (k3s Helm controller)
#   -> ASHapp's production overlay (+ in-cluster databases, + observability component when present)
#   -> rollout status -> prints the URL.
# Idempotent: every step compares what is there with what it wants and changes only the difference;
# generated secrets are created once and kept.
# Usage: ashapp-bootstrap /etc/ashapp/bootstrap.env
set -euo pipefail
umask 077

readonly CONFIG_FILE=${1:-/etc/ashapp/bootstrap.env}
# Overridable only so tests can run the pure steps (secrets, site kustomization) in a temporary folder.
readonly STATE_DIR=${ASHAPP_STATE_DIR:-/var/lib/ashapp}
readonly SRC_DIR=${ASHAPP_SRC_DIR:-/opt/ashapp/src}
readonly SITE_DIR=${STATE_DIR}/site
readonly SECRETS_DIR=${STATE_DIR}/secrets
readonly K3S_MANIFESTS=/var/lib/rancher/k3s/server/manifests
# Helm chart versions, pinned so a re-run installs the same thing.
readonly INGRESS_NGINX_CHART_VERSION=4.12.1
readonly KUBE_PROMETHEUS_STACK_CHART_VERSION=70.4.2
readonly CERT_MANAGER_CHART_VERSION=v1.17.1
readonly SERVICES=(gateway assistant deployer history monitor)

log() { printf '[ashapp-bootstrap] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Reads KEY=value lines without executing them (the file is data, not a script).
declare -A CONFIG=()
read_config() {
  [[ -r $CONFIG_FILE ]] || die "cannot read $CONFIG_FILE"
  local key value
  while IFS='=' read -r key value; do
    [[ -z $key || $key == \#* ]] && continue
    [[ $key =~ ^[A-Z0-9_]+$ ]] || die "bad key in $CONFIG_FILE: $key"
    CONFIG[$key]=$value
  done <"$CONFIG_FILE"
  local required
  for required in ASHAPP_REPOSITORY_URL ASHAPP_REF ASHAPP_IMAGE_REGISTRY ASHAPP_IMAGE_TAG \
    ASHAPP_SIGN_IN_ALLOWED_ACCOUNTS ASHAPP_IN_CLUSTER_DATABASES K3S_VERSION; do
    [[ -n ${CONFIG[$required]:-} ]] || die "$required is missing from $CONFIG_FILE"
  done
}

# Writes stdin to a file only when the content differs, so re-runs touch nothing (and k3s's manifest
# watcher sees no change). Sets LAST_WRITE_CHANGED for callers that must react to a change.
LAST_WRITE_CHANGED=false
# Whether write_site changed any file of the site (so a re-run can say it changed nothing).
SITE_CHANGED=false
write_if_changed() {
  local target=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  LAST_WRITE_CHANGED=false
  if [[ -f $target ]] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    return 0
  fi
  install -D -m "$mode" "$tmp" "$target"
  rm -f "$tmp"
  LAST_WRITE_CHANGED=true
  log "wrote $target"
}

# Bounded wait: name, attempts (2 s apart), command...
wait_for() {
  local name=$1 attempts=$2 i
  shift 2
  for ((i = 0; i < attempts; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 2
  done
  die "$name not ready after $((attempts * 2)) s"
}

kubectl() { /usr/local/bin/k3s kubectl "$@"; }

install_k3s() {
  local wanted=${CONFIG[K3S_VERSION]} installed=''
  if [[ -x /usr/local/bin/k3s ]]; then
    installed=$(/usr/local/bin/k3s --version | awk 'NR == 1 { print $3 }')
  fi
  # Traefik off: ingress-nginx below is what the platform's Ingress and NetworkPolicies expect.
  # k3s's packaged metrics-server stays on (the HPAs need it); its network policy controller enforces
  # the platform's NetworkPolicies; secrets are encrypted at rest.
  write_if_changed /etc/rancher/k3s/config.yaml 0600 <<'YAML'
write-kubeconfig-mode: "0600"
secrets-encryption: true
disable:
  - traefik
YAML
  local config_changed=$LAST_WRITE_CHANGED
  if [[ $installed == "$wanted" ]]; then
    log "k3s $wanted already installed"
    if [[ $config_changed == true ]]; then
      log "k3s configuration changed: restarting k3s"
      systemctl restart k3s
    fi
  else
    log "installing k3s $wanted (was: ${installed:-none})"
    local script
    script=$(mktemp)
    # The installer of the same tag; it verifies the k3s binary against the release's sha256 sums.
    curl -fsSL --retry 5 -o "$script" "https://raw.githubusercontent.com/k3s-io/k3s/${wanted/+/%2B}/install.sh"
    # Amazon Linux 2023 runs SELinux permissive and has no k3s-selinux package for its release number;
    # the installer would otherwise try to add a yum repository that does not exist for it.
    INSTALL_K3S_VERSION=$wanted INSTALL_K3S_SKIP_SELINUX_RPM=true INSTALL_K3S_SELINUX_WARN=true sh "$script" server
    rm -f "$script"
  fi
  systemctl enable --now k3s
  wait_for "Kubernetes API" 150 kubectl get --raw /readyz
  wait_for "node" 150 kubectl wait --for=condition=Ready node --all --timeout=5s
}

install_addons() {
  write_if_changed "$K3S_MANIFESTS/ashapp-ingress-nginx.yaml" 0600 <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: ingress-nginx
---
apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata:
  name: ingress-nginx
  namespace: kube-system
spec:
  repo: https://kubernetes.github.io/ingress-nginx
  chart: ingress-nginx
  version: ${INGRESS_NGINX_CHART_VERSION}
  targetNamespace: ingress-nginx
  valuesContent: |-
    controller:
      ingressClassResource:
        default: true
      config:
        use-forwarded-headers: "false"
        hsts: "true"
      metrics:
        enabled: true
YAML
  write_if_changed "$K3S_MANIFESTS/ashapp-kube-prometheus-stack.yaml" 0600 <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: monitoring
---
apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata:
  name: kube-prometheus-stack
  namespace: kube-system
spec:
  repo: https://prometheus-community.github.io/helm-charts
  chart: kube-prometheus-stack
  version: ${KUBE_PROMETHEUS_STACK_CHART_VERSION}
  targetNamespace: monitoring
  valuesContent: |-
    prometheus:
      prometheusSpec:
        # Pick up the ServiceMonitors and rules of every namespace (the observability component's too).
        serviceMonitorSelectorNilUsesHelmValues: false
        ruleSelectorNilUsesHelmValues: false
        retention: 15d
YAML
  if [[ ${CONFIG[ASHAPP_ACME_EMAIL]:--} != - ]]; then
    write_if_changed "$K3S_MANIFESTS/ashapp-cert-manager.yaml" 0600 <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: cert-manager
---
apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata:
  name: cert-manager
  namespace: kube-system
spec:
  repo: https://charts.jetstack.io
  chart: cert-manager
  version: ${CERT_MANAGER_CHART_VERSION}
  targetNamespace: cert-manager
  valuesContent: |-
    crds:
      enabled: true
YAML
  fi
  wait_for "ingress-nginx" 300 kubectl -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=5s
  if [[ ${CONFIG[ASHAPP_ACME_EMAIL]:--} != - ]]; then
    wait_for "cert-manager" 300 kubectl -n cert-manager rollout status deployment/cert-manager-webhook --timeout=5s
    kubectl apply --server-side --field-manager=ashapp-bootstrap -f - <<YAML
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    email: ${CONFIG[ASHAPP_ACME_EMAIL]}
    privateKeySecretRef:
      name: letsencrypt-account
    solvers:
      - http01:
          ingress:
            ingressClassName: nginx
YAML
  fi
}

fetch_source() {
  local ref=${CONFIG[ASHAPP_REF]}
  if [[ -d $SRC_DIR/.git ]] && [[ $(git -C "$SRC_DIR" rev-parse -q --verify 'HEAD^{commit}') == $(git -C "$SRC_DIR" rev-parse -q --verify "refs/ashapp/wanted^{commit}" 2>/dev/null || true) ]] \
    && [[ $(cat "$STATE_DIR/ref" 2>/dev/null || true) == "$ref" ]]; then
    log "source at $ref already checked out"
    return 0
  fi
  log "fetching ${CONFIG[ASHAPP_REPOSITORY_URL]} at $ref"
  mkdir -p "$SRC_DIR"
  [[ -d $SRC_DIR/.git ]] || git -C "$SRC_DIR" init -q
  git -C "$SRC_DIR" fetch -q --depth 1 "${CONFIG[ASHAPP_REPOSITORY_URL]}" "$ref"
  git -C "$SRC_DIR" update-ref refs/ashapp/wanted FETCH_HEAD
  git -C "$SRC_DIR" checkout -q --detach refs/ashapp/wanted
  printf '%s\n' "$ref" | write_if_changed "$STATE_DIR/ref" 0600
}

# Secrets are generated once on the host and kept: never in user data, state or git.
ensure_secret() {
  local file=$1 key=$2
  if ! grep -q "^${key}=" "$file" 2>/dev/null; then
    printf '%s=%s\n' "$key" "$(openssl rand -hex 32)" >>"$file"
    log "generated $key in $file"
  fi
}

prepare_secrets() {
  install -d -m 0700 "$SECRETS_DIR"
  ensure_secret "$SECRETS_DIR/internal.env" INTERNAL_AUTH_SECRET
  ensure_secret "$SECRETS_DIR/gateway.env" SESSION_ENCRYPTION_KEY
  ensure_secret "$SECRETS_DIR/deployer.env" DEPLOYER_ENCRYPTION_KEY
  local service upper
  if [[ ${CONFIG[ASHAPP_IN_CLUSTER_DATABASES]} == true ]]; then
    ensure_secret "$SECRETS_DIR/databases.env" MARIADB_ROOT_PASSWORD
    ensure_secret "$SECRETS_DIR/databases.env" MARIADB_PASSWORD
    ensure_secret "$SECRETS_DIR/databases.env" REDIS_PASSWORD
    # The component builds every URL from these passwords; the Secrets' own URL keys stay unused.
    for service in "${SERVICES[@]}"; do
      upper=${service^^}
      grep -q "^${upper}_DATABASE_URL=" "$SECRETS_DIR/$service.env" 2>/dev/null \
        || printf '%s_DATABASE_URL=set-by-in-cluster-databases\n' "$upper" >>"$SECRETS_DIR/$service.env"
    done
  else
    for service in "${SERVICES[@]}"; do
      upper=${service^^}
      grep -q "^${upper}_DATABASE_URL=" "$SECRETS_DIR/$service.env" 2>/dev/null \
        || die "managed databases: add ${upper}_DATABASE_URL to $SECRETS_DIR/$service.env (and REDIS_URL to gateway.env and deployer.env), then run again"
    done
    grep -q '^REDIS_URL=' "$SECRETS_DIR/gateway.env" || die "managed databases: add REDIS_URL to $SECRETS_DIR/gateway.env"
  fi
  chmod 0600 "$SECRETS_DIR"/*.env
}

public_host() {
  if [[ ${CONFIG[ASHAPP_DOMAIN]:--} != - ]]; then
    printf '%s\n' "${CONFIG[ASHAPP_DOMAIN]}"
    return 0
  fi
  local token
  token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)
  curl -fsS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/public-hostname
}

write_site() {
  local host=$1 tls=$2 overlay components='' service images='' secrets='' name
  overlay=$(realpath --relative-to="$SITE_DIR" "$SRC_DIR/deploy/kubernetes/overlays/production")
  if [[ ${CONFIG[ASHAPP_IN_CLUSTER_DATABASES]} == true ]]; then
    components+="  - $(realpath --relative-to="$SITE_DIR" "$SRC_DIR/deploy/kubernetes/components/in-cluster-databases")"$'\n'
  fi
  if [[ -d $SRC_DIR/deploy/kubernetes/components/observability ]]; then
    components+="  - $(realpath --relative-to="$SITE_DIR" "$SRC_DIR/deploy/kubernetes/components/observability")"$'\n'
  else
    log "no components/observability in this ref; Prometheus still scrapes through annotations"
  fi
  for service in "${SERVICES[@]}"; do
    images+="  - name: ghcr.io/ashapp/ashapp-${service}"$'\n'
    images+="    newName: ${CONFIG[ASHAPP_IMAGE_REGISTRY]}/ashapp-${service}"$'\n'
    images+="    newTag: \"${CONFIG[ASHAPP_IMAGE_TAG]}\""$'\n'
  done
  # The host's secrets replace the placeholders from a component listed last, so they also replace the
  # Secret that the in-cluster-databases component generates (a kustomization's own generators run before
  # its components).
  local secrets_dir=$SITE_DIR/host-secrets
  SITE_CHANGED=false
  install -d -m 0700 "$secrets_dir"
  for name in internal "${SERVICES[@]}" databases; do
    if [[ $name == databases && ${CONFIG[ASHAPP_IN_CLUSTER_DATABASES]} != true ]]; then continue; fi
    touch "$SECRETS_DIR/$name.env"
    write_if_changed "$secrets_dir/$name.env" 0600 <"$SECRETS_DIR/$name.env"
    [[ $LAST_WRITE_CHANGED == false ]] || SITE_CHANGED=true
    case $name in
      internal) secrets+="  - name: ashapp-internal"$'\n' ;;
      databases) secrets+="  - name: in-cluster-databases"$'\n' ;;
      *) secrets+="  - name: ${name}-secrets"$'\n' ;;
    esac
    secrets+="    namespace: ashapp"$'\n'"    behavior: replace"$'\n'"    envs:"$'\n'"      - ${name}.env"$'\n'
  done
  write_if_changed "$secrets_dir/kustomization.yaml" 0600 <<YAML
# Written by ashapp-bootstrap from ${SECRETS_DIR}.
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
secretGenerator:
${secrets}
YAML
  [[ $LAST_WRITE_CHANGED == false ]] || SITE_CHANGED=true
  components+="  - host-secrets"$'\n'
  local ingress_patch
  if [[ $tls == true ]]; then
    ingress_patch="      - op: replace
        path: /metadata/annotations/cert-manager.io~1cluster-issuer
        value: letsencrypt
      - op: replace
        path: /spec/tls/0/hosts/0
        value: ${host}"
  else
    ingress_patch="      - op: remove
        path: /spec/tls
      - op: remove
        path: /metadata/annotations/cert-manager.io~1cluster-issuer
      - op: replace
        path: /metadata/annotations/nginx.ingress.kubernetes.io~1ssl-redirect
        value: \"false\"
      - op: replace
        path: /metadata/annotations/nginx.ingress.kubernetes.io~1force-ssl-redirect
        value: \"false\""
  fi
  write_if_changed "$SITE_DIR/kustomization.yaml" 0600 <<YAML
# Written by ashapp-bootstrap; edit the bootstrap's inputs, not this file.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ${overlay}
components:
${components}images:
${images}configMapGenerator:
  - name: ashapp-config
    namespace: ashapp
    behavior: merge
    literals:
      - SIGN_IN_ALLOWED_ACCOUNTS=${CONFIG[ASHAPP_SIGN_IN_ALLOWED_ACCOUNTS]}
patches:
  - target:
      kind: Ingress
      name: ashapp
    patch: |-
      - op: replace
        path: /spec/rules/0/host
        value: ${host}
${ingress_patch}
YAML
  [[ $LAST_WRITE_CHANGED == false ]] || SITE_CHANGED=true
}

apply_platform() {
  log "applying ASHapp"
  kubectl apply --server-side --field-manager=ashapp-bootstrap -k "$SITE_DIR"
  local service
  if [[ ${CONFIG[ASHAPP_IN_CLUSTER_DATABASES]} == true ]]; then
    kubectl -n ashapp rollout status statefulset/mariadb --timeout=600s
    kubectl -n ashapp rollout status deployment/redis --timeout=300s
  fi
  for service in "${SERVICES[@]}"; do
    kubectl -n ashapp rollout status "deployment/$service" --timeout=600s
  done
}

main() {
  [[ $(id -u) -eq 0 ]] || die "run as root"
  read_config
  install -d -m 0700 "$STATE_DIR"
  install_k3s
  install_addons
  fetch_source
  prepare_secrets
  local host tls=false scheme=http
  host=$(public_host)
  if [[ ${CONFIG[ASHAPP_DOMAIN]:--} != - && ${CONFIG[ASHAPP_ACME_EMAIL]:--} != - ]]; then
    tls=true
    scheme=https
  fi
  write_site "$host" "$tls"
  if [[ $SITE_CHANGED == false ]]; then log "site kustomization unchanged"; fi
  apply_platform
  log "ASHapp is up: ${scheme}://${host}/"
  printf 'ASHapp URL: %s://%s/\n' "$scheme" "$host"
}

# Sourced (by tests) it only defines the functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
