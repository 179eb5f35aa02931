#!/bin/bash
# One test host's init. host.ts starts it as PID 1 of fresh pid, mount, UTS, IPC and network
# namespaces (unshare --fork --kill-child under setpriv --pdeathsig: if the test process
# dies, the kernel tears the whole host down). It builds the host, then stays as the host's
# init: it starts sshd, restarts it on SIGUSR1 and reaps orphans.
#
# The host's root is a copy-on-write overlay of / (lowerdir=/) whose upper and work dirs live
# on a tmpfs mounted only inside this mount namespace: every write the host makes vanishes
# with the namespace and the real machine's files never change.
#
# Protocol on stdout (read by host.ts): "TH-PID <pid as the root pid namespace sees it>",
# "TH-HOSTKEY <ed25519 public key>", "TH-UP"; sshd logs to stderr ("Server listening on").
# Inputs (environment): see hostEnv() in host.ts.
set -euo pipefail
umask 022 # sshd and so every session inherit it: root's usual umask
if [ -n "${TH_TRACE:-}" ]; then
  PS4='+ ${EPOCHREALTIME} '
  set -x
fi

# Before /proc is remounted, /proc is the root pid namespace's: our pid as the tests see it.
read -r gpid _ </proc/self/stat
echo "TH-PID $gpid"

# ---- network: a veth pair, eth0 here and $TH_VETH on the fleet's bridge ---------------------
# 127.0.0.0/8 is "local" in both namespaces' local routing table; a more specific route for
# the fleet's subnet through the link plus route_localnet lets 127.x travel over the veth
# (DESIGN §5). "netns 1" is resolved in our pid namespace, where pid 1 is this script.
# shellcheck disable=SC2016 # expanded by that sh, from the environment
nsenter --net="$TH_ROOT_NETNS" -- /bin/sh -ec '
  ip link add "$TH_VETH" type veth peer name eth0 netns 1
  echo 1 >"/proc/sys/net/ipv4/conf/$TH_VETH/route_localnet"
  ip link set "$TH_VETH" master "$TH_BRIDGE" up'
ip link set lo up
ip addr add "$TH_ADDR/$TH_PREFIXLEN" dev eth0
echo 1 >/proc/sys/net/ipv4/conf/eth0/route_localnet
ip link set eth0 up
ip route replace "$TH_SUBNET" dev eth0 table local src "$TH_ADDR"

# ---- root: overlay of / with a tmpfs upper --------------------------------------------------
mount -t tmpfs -o mode=755 "k8sprep-th-$TH_HOST_NAME" "$TH_MNT"
mkdir "$TH_MNT/upper" "$TH_MNT/work" "$TH_MNT/root"
R=$TH_MNT/root
mount -t overlay -o "lowerdir=/,upperdir=$TH_MNT/upper,workdir=$TH_MNT/work" overlay "$R"

mount -t proc proc "$R/proc"
# The real machine's global kernel settings stay read-only; only the UTS namespace's names
# (the hostname step writes /proc/sys/kernel/hostname) remain writable.
mount --bind "$R/proc/sys" "$R/proc/sys"
mount -o remount,bind,ro "$R/proc/sys"
for f in kernel/hostname kernel/domainname; do
  mount --bind "$R/proc/sys/$f" "$R/proc/sys/$f"
  mount -o remount,bind,rw "$R/proc/sys/$f"
done
if [ -e "$R/proc/sysrq-trigger" ]; then
  mount --bind "$R/proc/sysrq-trigger" "$R/proc/sysrq-trigger"
  mount -o remount,bind,ro "$R/proc/sysrq-trigger"
fi
mount -t sysfs -o ro sysfs "$R/sys" # a fresh sysfs shows this namespace's eth0 and lo
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mkdir -m 755 "$R/run/sshd"

# ---- identity ---------------------------------------------------------------------------------
# Directories whose Debian contents would contradict the identity start empty (opaque).
for d in /usr/lib/systemd/system /etc/systemd/system /etc/sysctl.d /usr/lib/sysctl.d /etc/yum.repos.d; do
  rm -rf "${R:?}$d"
  mkdir -p "$R$d"
done
rm -f "$R/etc/debian_version" "$R/etc/sysctl.conf" "$R"/etc/ssh/ssh_host_*
cp -a "$TH_DIR/rootfs/common/." "$TH_DIR/rootfs/$TH_OS/." "$R/"

L=$R/usr/lib/k8sprep-testhost
mkdir -p "$L" "$R/var/log/k8sprep-testhost" "$R/var/lib/k8sprep-testhost/"{fail/package-install,fail/command,units}
install -d -m 1777 "$R/var/lib/k8sprep-testhost/block" # a blocked non-root call announces itself too
cp -a "$TH_DIR/standins" "$L/standins"
cp "$TH_DIR/standins/lib.sh" "$L/lib.sh"
cp -a "$TH_DIR/kube" "$L/kube"
cp -a "$TH_DIR/../data/kubeadm-api" "$L/kubeadm-api"
cp "$TH_DIR/catalog/$TH_OS.tsv" "$L/catalog.tsv"
cp -a "$TH_DIR/pkgfiles/$TH_OS" "$L/pkgfiles"
cp "$R/usr/bin/uname" "$L/real-uname"
install -m 666 /dev/null "$R/var/log/k8sprep-testhost/calls.log"
mkdir -p "$R/lib/modules/$TH_KERNEL"
cp "$L/modules.dep" "$L/modules.builtin" "$R/lib/modules/$TH_KERNEL/"
printf 'TH_OS=%q\nTH_KERNEL=%q\nTH_ARCH_KUBE=%q\nTH_PRETTY=%q\nTH_ADDR=%q\n' "$TH_OS" "$TH_KERNEL" "$TH_ARCH_KUBE" "$TH_PRETTY" "$TH_ADDR" \
  >"$R/var/lib/k8sprep-testhost/host.env"

# The cluster the Kubernetes stand-ins share (README): the fleet's directory when it has one,
# bind-mounted in this mount namespace only (it goes with the host), else the host's own.
mkdir -p "$R/var/lib/k8sprep-testcluster"
if [ -n "${TH_CLUSTER_DIR:-}" ]; then
  mount --bind "$TH_CLUSTER_DIR" "$R/var/lib/k8sprep-testcluster"
fi

printf '%s' "$TH_OS_RELEASE" >"$R/usr/lib/os-release"
ln -sfn ../usr/lib/os-release "$R/etc/os-release" # as on CentOS 7, Arch and Debian

printf '%s\n' "$TH_HOST_NAME" >"$R/etc/hostname"
# The host resolves its own name (CentOS and Arch do, through nss-myhostname); else sudo
# warns on every call.
printf '%s %s\n' "$TH_ADDR" "$TH_HOST_NAME" >>"$R/etc/hosts"
hostname "$TH_HOST_NAME"
printf '%s\n' "$TH_MACHINE_ID" >"$R/etc/machine-id"

cp "$TH_DIR/seed-packages.sh" "$L/"
chroot "$R" /bin/bash /usr/lib/k8sprep-testhost/seed-packages.sh

# ---- users and sshd ------------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C "root@$TH_HOST_NAME" -f "$R/etc/ssh/ssh_host_ed25519_key"
echo "TH-HOSTKEY $(cat "$R/etc/ssh/ssh_host_ed25519_key.pub")"
install -d -m 700 "$R/root/.ssh"
printf '%s\n' "$TH_CLIENT_KEY" >"$R/root/.ssh/authorized_keys"
chroot "$R" useradd -m -s /bin/bash admin
# The hash is computed once per fleet (hashing per host costs more than the rest of useradd).
printf 'admin:%s\n' "$TH_PASSWORD_HASH" | chroot "$R" chpasswd -e
printf '%s\n' "$TH_CLIENT_KEY" | chroot "$R" install -D -m 600 -o admin -g admin /dev/stdin /home/admin/.ssh/authorized_keys
chroot "$R" chown admin:admin /home/admin/.ssh && chmod 700 "$R/home/admin/.ssh"
if [ "$TH_SUDO" = nopasswd ]; then rule='admin ALL=(ALL) NOPASSWD: ALL'; else rule='admin ALL=(ALL) ALL'; fi
install -m 440 /dev/null "$R/etc/sudoers.d/k8sprep-admin"
printf '%s\n' "$rule" >"$R/etc/sudoers.d/k8sprep-admin"

cat >"$R/etc/ssh/sshd_config" <<EOF
# k8sprep test host $TH_HOST_NAME
ListenAddress $TH_ADDR:22
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
# No PAM: there is no systemd-logind here, and sshd checks /etc/shadow itself.
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
# Benchmarks open many connections at once.
MaxStartups 200
MaxSessions 100
PidFile none
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF

echo "TH-UP"
cd "$R"
# The init, inside the host's root: (re)start sshd on USR1 and reap whatever is orphaned.
# It waits in `read` on a FIFO it holds open itself (no data, no EOF), so it has no child of
# its own: every other process of the pid namespace belongs to sshd (see stopSshd).
exec chroot . /bin/bash -c '
  start_sshd() { /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config & }
  trap start_sshd USR1
  trap "exit 0" TERM
  mkfifo -m 600 /run/k8sprep-testhost-init
  exec 3<>/run/k8sprep-testhost-init
  start_sshd
  while :; do read -r -u 3 _ || true; done'
