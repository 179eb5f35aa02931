# shellcheck shell=bash
# The node side of Kubernetes on a test host (sourced after lib.sh, never run): the images of each
# release, and what the kubelet does with static pods. The cluster side (kubeadm init/join/reset,
# kubectl, etcdctl, the load balancers' election) is Python under $TH_LIB/kube (README).

# th_kube_images VERSION REPOSITORY: the list `kubeadm config images list` prints (the same
# table as src/cluster/images.ts); fails for a release this table does not know.
th_kube_images() {
  local minor patch coredns etcd pause row rows c e p repo=$2
  IFS=. read -r _ minor patch <<<"$1"
  # minor: rows "fromPatch coredns etcd pause", the last row at or below the patch wins
  case $minor in
    28) rows='0 v1.10.1 3.5.9-0 3.9;6 v1.10.1 3.5.10-0 3.9;8 v1.10.1 3.5.12-0 3.9;14 v1.10.1 3.5.15-0 3.9' ;;
    29) rows='0 v1.11.1 3.5.10-0 3.9;3 v1.11.1 3.5.12-0 3.9;9 v1.11.1 3.5.15-0 3.9;11 v1.11.1 3.5.16-0 3.9' ;;
    30) rows='0 v1.11.1 3.5.12-0 3.9;5 v1.11.3 3.5.15-0 3.9' ;;
    31) rows='0 v1.11.1 3.5.15-0 3.10;1 v1.11.3 3.5.15-0 3.10;14 v1.11.3 3.5.24-0 3.10' ;;
    32) rows='0 v1.11.3 3.5.16-0 3.10;10 v1.11.3 3.5.24-0 3.10' ;;
    33) rows='0 v1.12.0 3.5.21-0 3.10;6 v1.12.0 3.5.24-0 3.10' ;;
    34) rows='0 v1.12.1 3.6.4-0 3.10.1;2 v1.12.1 3.6.5-0 3.10.1' ;;
    35) rows='0 v1.13.1 3.6.6-0 3.10.1' ;;
    *) echo "this version of kubeadm does not know the images of Kubernetes v$1" >&2; return 1 ;;
  esac
  IFS=';' read -ra rows <<<"$rows"
  for row in "${rows[@]}"; do
    read -r from c e p <<<"$row"
    [ "$patch" -ge "$from" ] && { coredns=$c etcd=$e pause=$p; }
  done
  local cd=$repo/coredns
  [ "$repo" = registry.k8s.io ] && cd=$repo/coredns/coredns
  printf '%s\n' "$repo/kube-apiserver:v$1" "$repo/kube-controller-manager:v$1" "$repo/kube-scheduler:v$1" \
    "$repo/kube-proxy:v$1" "$cd:$coredns" "$repo/pause:$pause" "$repo/etcd:$etcd"
}

# th_latency OP: sleep the seconds the shared cluster's latency.json sets for OP (init, join,
# pull), for benchmarks of the orchestration rather than of this machine.
th_latency() {
  local s
  s=$(sed -n "s/^ *\"$1\": \\([0-9.]*\\).*/\\1/p" /var/lib/k8sprep-testcluster/latency.json 2>/dev/null)
  [ -n "$s" ] && [ "$s" != 0 ] && sleep "$s"
  return 0
}

# ---- static pods ------------------------------------------------------------------------------
# What the kubelet does with /etc/kubernetes/manifests, done whenever crictl looks (the kubelet
# rescans every ~20 s; here it is at once) and whenever kubeadm waits for it: while
# kubelet.service is active, every manifest has a running container, a container whose
# manifest is gone is stopped, and one whose manifest changed is restarted. containers:
# ID<TAB>NAME<TAB>STATE (Running|Exited)<TAB>PID (of the process standing in for it, or -)
# <TAB>START (that process's start time, so a recycled PID is never signalled)<TAB>SHA256 of
# the manifest it runs. Containers with a process (the rest have none):
#  - kube-apiserver: `openssl s_server` serving GET /healthz, /readyz and /livez ("ok") on its
#    --secure-port (6443) with its --tls-cert-file/--tls-private-key-file as the manifest names
#    them (kubeadm's paths by default), so a client that verifies it with ca.crt checks the
#    certificate it was started with;
#  - haproxy: the real /usr/sbin/haproxy (Debian's) with the haproxy.cfg the manifest mounts,
#    checked with `haproxy -c` first;
#  - kube-vip and keepalived: $TH_LIB/kube/{kubevip,keepalived}.py, holding the VIP as the real
#    ones would (README), keepalived only with a config the real `keepalived -t` accepts;
#  - etcd has no process; its start marks its member started in the shared cluster.
# crash/<name> makes <name>'s container exit at once; unhealthy/kube-apiserver makes the
# apiserver's checks answer 500 with a failed check. Output of the processes:
# $TH_STATE/logs/<name>.log.

TH_MANIFESTS=/etc/kubernetes/manifests

# th_manifest_flag FILE FLAG DEFAULT: the value of `- --FLAG=VALUE` in a static pod manifest.
th_manifest_flag() {
  local v
  v=$(sed -n "s/^[[:space:]]*-[[:space:]]*--$2=\\(.*\\)$/\\1/p" "$1" | head -n1)
  printf '%s\n' "${v:-$3}"
}

# th_manifest_hostpath FILE SUFFIX DEFAULT: the first hostPath volume path ending in SUFFIX.
th_manifest_hostpath() {
  local v
  v=$(sed -n "s/^[[:space:]]*path:[[:space:]]*\\(.*$2\\)[[:space:]]*$/\\1/p" "$1" | head -n1)
  printf '%s\n' "${v:-$3}"
}

th_pid_alive() { [ "$1" != - ] && [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# th_pid_start PID: the kernel's start time of PID (field 22 of /proc/PID/stat), or -.
th_pid_start() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split the fields
  set -- $stat
  echo "${20}"
}

# th_detach LOG CMD...: starts CMD in its own session with none of our descriptors (a lock the
# caller holds must not live on in a server) and output to LOG; prints its PID.
th_detach() {
  local log=$1
  shift
  mkdir -p "${log%/*}"
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    cd / && exec setsid "$@" </dev/null >>"$log" 2>&1
  ) &
  echo $!
}

# th_wait_listening PID PORT: PID's server listens on PORT (within 5 s), or it fails.
th_wait_listening() {
  local pid=$1 hex i
  printf -v hex '%04X' "$2"
  for ((i = 0; i < 100; i++)); do
    th_pid_alive "$pid" || return 1
    if awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' /proc/net/tcp; then
      return 0
    fi
    sleep 0.05
  done
  kill "$pid" 2>/dev/null
  return 1
}

# th_apiserver_start MANIFEST: starts the stand-in apiserver; prints its PID; fails when it cannot serve.
th_apiserver_start() {
  local manifest=$1 cert key port www=$TH_STATE/apiserver pid f status body
  cert=$(th_manifest_flag "$manifest" tls-cert-file /etc/kubernetes/pki/apiserver.crt)
  key=$(th_manifest_flag "$manifest" tls-private-key-file /etc/kubernetes/pki/apiserver.key)
  port=$(th_manifest_flag "$manifest" secure-port 6443)
  [ -r "$cert" ] && [ -r "$key" ] || return 1
  mkdir -p "$www"
  # s_server -HTTP sends each file as the whole HTTP response: a failed check is a 500.
  if [ -e "$TH_STATE/unhealthy/kube-apiserver" ]; then
    status='500 Internal Server Error' body=$'[-]etcd failed: reason withheld\nhealthz check failed'
  else
    status='200 OK' body=ok
  fi
  for f in healthz readyz livez; do
    printf 'HTTP/1.0 %s\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n\r\n%s' "$status" "$body" >"$www/$f"
  done
  # shellcheck disable=SC2016 # expanded by that sh
  pid=$(cd "$www" && th_detach "$TH_STATE/apiserver.log" sh -c 'cd "$1" && exec openssl s_server -quiet -accept "0.0.0.0:$2" -cert "$3" -key "$4" -HTTP' sh "$www" "$port" "$cert" "$key")
  th_wait_listening "$pid" "$port" || return 1
  echo "$pid"
}

# th_haproxy_start MANIFEST: the real haproxy with the config the manifest mounts.
th_haproxy_start() {
  local cfg log=$TH_STATE/logs/haproxy.log pid
  cfg=$(th_manifest_hostpath "$1" haproxy.cfg /etc/haproxy/haproxy.cfg)
  mkdir -p "${log%/*}"
  /usr/sbin/haproxy -c -f "$cfg" >>"$log" 2>&1 || return 1
  pid=$(th_detach "$log" /usr/sbin/haproxy -f "$cfg" -db)
  sleep 0.1
  th_pid_alive "$pid" || return 1
  echo "$pid"
}

# th_keepalived_start MANIFEST: the keepalived.conf the manifest mounts must pass the real
# `keepalived -t`; then the VRRP stand-in ($TH_LIB/kube/keepalived.py). keepalived -t exits 6
# when scripts run as root without enable_script_security (the kubeadm HA guide's config),
# which alone does not stop keepalived, but that 6 also hides real errors: a config passes
# with 0, or with 6 when the security warning is all keepalived said.
th_keepalived_start() {
  local conf log=$TH_STATE/logs/keepalived.log rc=0 out
  conf=$(th_manifest_hostpath "$1" keepalived.conf /etc/keepalived/keepalived.conf)
  mkdir -p "${log%/*}"
  # keepalived -t passes a file that does not exist.
  [ -f "$conf" ] || { echo "Config files missing '$conf'." >>"$log"; return 1; }
  out=$(/usr/sbin/keepalived -t -f "$conf" 2>&1) || rc=$?
  [ -z "$out" ] || printf '%s\n' "$out" >>"$log"
  case $rc in
    0) ;;
    6) ! grep -qv 'SECURITY VIOLATION - scripts are being executed but script_security not enabled' <<<"$out" || return 1 ;;
    *) return 1 ;;
  esac
  PYTHONPATH=$TH_LIB th_detach "$log" /usr/bin/python3 -u -B -m kube.keepalived "$conf"
}

# th_container_start NAME MANIFEST: prints the PID standing in for the container (- for none);
# fails when the container cannot run.
th_container_start() {
  case $1 in
    kube-apiserver) th_apiserver_start "$2" ;;
    haproxy) th_haproxy_start "$2" ;;
    keepalived) th_keepalived_start "$2" ;;
    kube-vip) PYTHONPATH=$TH_LIB th_detach "$TH_STATE/logs/kube-vip.log" /usr/bin/python3 -u -B -m kube.kubevip "$2" ;;
    etcd) PYTHONPATH=$TH_LIB /usr/bin/python3 -B -m kube.etcd_started "$2" && echo - ;;
    *) echo - ;;
  esac
}

# th_container_stop PID START: SIGTERM (the load balancers give their VIP back), then SIGKILL.
th_container_stop() {
  local pid=$1 start=$2 i
  [ "$pid" != - ] && th_pid_alive "$pid" && [ "$(th_pid_start "$pid")" = "$start" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 40; i++)); do
    th_pid_alive "$pid" || return 0
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null
  return 0
}

th_new_container_id() { od -An -N6 -tx1 /dev/urandom | tr -d ' \n'; }

th_static_pods_sync() {
  local db=$TH_STATE/containers tmp id name state pid start hash f running
  [ "$(id -u)" = 0 ] && th_unit_active kubelet.service || return 0
  touch "$db"
  tmp=$(mktemp "$db.XXXXXX")
  running=' '
  while IFS=$'\t' read -r id name state pid start hash; do
    [ -n "$id" ] || continue
    f=$TH_MANIFESTS/$name.yaml
    if [ ! -f "$f" ] || { [ "$state" = Running ] && [ -n "$hash" ] && [ "$(sha256sum <"$f" | cut -c1-64)" != "$hash" ]; }; then
      # The pod is gone or was changed: its container stops (and a changed one starts anew).
      th_container_stop "$pid" "$start"
      continue
    fi
    if [ "$state" = Running ] && [ "$pid" != - ] && ! th_pid_alive "$pid"; then state=Exited; fi
    [ "$state" = Running ] && running+="$name "
    # Exited containers are replaced below (the kubelet restarts them); keep only running ones.
    [ "$state" = Running ] && printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$name" "$state" "$pid" "$start" "$hash" >>"$tmp"
  done <"$db"
  for f in "$TH_MANIFESTS"/*.yaml; do
    [ -f "$f" ] || continue
    name=${f##*/}
    name=${name%.yaml}
    [[ $running == *" $name "* ]] && continue
    state=Running pid=- start=-
    hash=$(sha256sum <"$f" | cut -c1-64)
    if [ -e "$TH_STATE/crash/$name" ]; then
      state=Exited
    elif pid=$(th_container_start "$name" "$f"); then
      [ "$pid" = - ] || start=$(th_pid_start "$pid")
    else
      state=Exited pid=-
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(th_new_container_id)" "$name" "$state" "$pid" "$start" "$hash" >>"$tmp"
  done
  chmod 644 "$tmp" && mv "$tmp" "$db"
}

# th_containers_stop_all: what kubeadm reset does to the node's containers (after the kubelet stopped).
th_containers_stop_all() {
  local db=$TH_STATE/containers id name state pid start hash
  [ -f "$db" ] || return 0
  while IFS=$'\t' read -r id name state pid start hash; do
    [ -n "$id" ] && th_container_stop "$pid" "$start"
  done <"$db"
  : >"$db"
}
