/**
 * CentOS 7's repositories. It is end of life: mirror.centos.org and mirrorlist.centos.org are
 * gone, so every enabled repository still pointing there makes every yum call fail ("Cannot
 * find a valid baseurl for repo: centos-sclo-rh/x86_64"), whatever is being installed.
 *
 * k8sprep writes CentOS-Base.repo itself (base, updates, extras on the vault) and its own
 * docker-ce and Kubernetes repositories. Every other enabled repository on a retired mirror
 * (SCLo, fasttrack, CR, SIG repositories...) is repaired in place, backed up first: moved to
 * the same vault when its URL says where it lived there (a `baseurl` under
 * mirror.centos.org/centos/7/, also the commented-out one CentOS ships beside a mirrorlist),
 * otherwise disabled, since a guessed path would only fail later. Preflight reads every
 * other enabled repository (`yum makecache`, with a timeout) and names one that cannot be
 * read, before anything on the host changes.
 */
import type { Cluster } from '../cluster/types.js';
import type { FileSpec } from '../script/files.js';
import { shq } from '../script/quote.js';
import { centosVaultRepo, dockerCeRepo, kubernetesRepo } from '../templates/yum-repos.js';
import type { RepositoryRepair } from './types.js';

/** Where CentOS 7's packages come from, per `mirrors.packages`. */
const CENTOS7_MIRRORS = {
  aliyun: {
    vault: 'https://mirrors.aliyun.com/centos-vault/7.9.2009',
    dockerCe: 'https://mirrors.aliyun.com/docker-ce/linux/centos',
    /** + `/v<minor>/rpm` */
    kubernetes: 'https://mirrors.aliyun.com/kubernetes-new/core/stable',
  },
  upstream: {
    vault: 'https://vault.centos.org/7.9.2009',
    dockerCe: 'https://download.docker.com/linux/centos',
    kubernetes: 'https://pkgs.k8s.io/core:/stable:',
  },
} as const;

const REPO_DIR = '/etc/yum.repos.d';
const BASE_REPO_FILE = `${REPO_DIR}/CentOS-Base.repo`;
const DOCKER_CE_REPO_FILE = `${REPO_DIR}/docker-ce.repo`;
const KUBERNETES_REPO_FILE = `${REPO_DIR}/kubernetes.repo`;
/** Held back from `yum update` by the repo's `exclude=`. */
const KUBERNETES_RPMS = ['kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'kubernetes-cni'];
/** Seconds preflight gives yum to read the other repositories' metadata. */
const REPOSITORY_PROBE_TIMEOUT = 60;

function vault(cluster: Cluster): string {
  return CENTOS7_MIRRORS[cluster.mirrors.packages].vault;
}

export function centosBaseRepositories(cluster: Cluster): FileSpec[] {
  return [{ path: BASE_REPO_FILE, mode: '644', content: centosVaultRepo(vault(cluster)) }];
}

export function centosPackageRepositories(cluster: Cluster): FileSpec[] {
  const mirrors = CENTOS7_MIRRORS[cluster.mirrors.packages];
  const minor = cluster.kubernetes.version.minorString;
  return [
    { path: DOCKER_CE_REPO_FILE, mode: '644', content: dockerCeRepo(mirrors.dockerCe) },
    { path: KUBERNETES_REPO_FILE, mode: '644', content: kubernetesRepo(`${mirrors.kubernetes}/v${minor}/rpm`, minor, KUBERNETES_RPMS) },
  ];
}

/** Files k8sprep writes itself: never repaired in place, never probed before they are written. */
function ownFiles(cluster: Cluster): string[] {
  return [...centosBaseRepositories(cluster), ...centosPackageRepositories(cluster)].map((f) => f.path);
}

/**
 * `k8sprep_yum_repos [FILE...]` (default: every *.repo): one line per enabled repository,
 * `FILE<TAB>ID<TAB>STATE<TAB>VAULT_PATH`. STATE is `retired` when a baseurl, mirrorlist or
 * metalink is on (mirror|mirrorlist).centos.org, else `ok`; VAULT_PATH is what follows
 * mirror.centos.org/centos/7/ (or /$releasever/) in its baseurl, commented out or not, or `-`.
 * `k8sprep_yum_vault_file FILE VAULT` prints FILE with its retired repositories repaired:
 * moved to VAULT/VAULT_PATH (mirrorlist and old baseurl commented out), or disabled.
 * One awk program reads sections for both (plain awk: CentOS has gawk, the tests run mawk).
 */
const HELPERS = String.raw`k8sprep_yum_awk() {
  awk -v mode="$1" -v vault="$2" '
    function value(line) { sub(/^[ \t]*#?[ \t]*[A-Za-z_]+[ \t]*=[ \t]*/, "", line); sub(/[ \t\r]+$/, "", line); return line }
    function repaired(   i, line) {
      print buf[1]
      if (path != "") {
        print "# k8sprep: moved to the CentOS 7 vault (mirror.centos.org is retired); the original is in /var/lib/k8sprep/backup/"
        print "baseurl=" vault "/" path
      } else {
        print "# k8sprep: disabled (its mirror is retired and has no vault path); the original is in /var/lib/k8sprep/backup/"
        print "enabled=0"
      }
      for (i = 2; i <= n; i++) {
        line = buf[i]
        if (path != "" && line ~ /^[ \t]*(baseurl|mirrorlist|metalink)[ \t]*=/) line = "#" line
        else if (path == "" && line ~ /^[ \t]*enabled[ \t]*=/) continue
        else if (path != "" && line ~ /^[ \t]*gpgkey[ \t]*=/) gsub(/https?:\/\/mirror\.centos\.org\/centos\/(7|\$releasever)/, vault, line)
        print line
      }
    }
    function end_section(   i) {
      if (mode == "list") {
        if (id != "" && enabled) printf "%s\t%s\t%s\t%s\n", file, id, (retired ? "retired" : "ok"), (path == "" ? "-" : path)
      } else if (id != "" && enabled && retired) {
        repaired()
      } else {
        for (i = 1; i <= n; i++) print buf[i]
      }
      n = 0
      id = ""
    }
    FNR == 1 { end_section() }
    /^[ \t]*\[[^]]+\][ \t\r]*$/ {
      end_section(); id = $0; sub(/^[ \t]*\[/, "", id); sub(/\][ \t\r]*$/, "", id)
      file = FILENAME; enabled = 1; retired = 0; path = ""; own = 0
    }
    mode == "repair" { buf[++n] = $0 }
    /^[ \t]*enabled[ \t]*=/ { enabled = (tolower(value($0)) ~ /^(1|yes|true|on)$/) }
    /^[ \t]*(baseurl|mirrorlist|metalink)[ \t]*=/ && value($0) ~ /^[A-Za-z]+:\/\/(mirror|mirrorlist)\.centos\.org([:\/?]|$)/ { retired = 1 }
    /^[ \t]*#?[ \t]*baseurl[ \t]*=/ {
      u = value($0)
      if ((!own || $0 !~ /^[ \t]*#/) && match(u, /^https?:\/\/mirror\.centos\.org\/centos\/(7|\$releasever)\//)) {
        path = substr(u, RSTART + RLENGTH); own = ($0 !~ /^[ \t]*#/)
      }
    }
    END { end_section() }' "${'$'}{@:3}"
}
k8sprep_yum_repos() {
  if [ "$#" -eq 0 ]; then set -- ${REPO_DIR}/*.repo; fi
  [ -e "$1" ] || return 0
  k8sprep_yum_awk list '' "$@"
}
k8sprep_yum_vault_file() { k8sprep_yum_awk repair "$2" "$1"; }`;

function repair(cluster: Cluster): string {
  return [
    `local file id state path mode vault=${shq(vault(cluster))}`,
    "while IFS=$'\\t' read -r file id state path; do",
    '  [ "$state" = retired ] || continue',
    '  if [ "$path" = - ]; then',
    '    echo "k8sprep: note: $file: repository $id disabled: its mirror is retired and it names no path on the CentOS 7 vault" >&2',
    '  else',
    '    echo "k8sprep: note: $file: repository $id moved to $vault/$path" >&2',
    '  fi',
    'done <<<"$(k8sprep_yum_repos)"',
    'while read -r file; do',
    '  [ -n "$file" ] || continue',
    '  mode=$(stat -c %a "$file")',
    '  k8sprep_yum_vault_file "$file" "$vault" | k8sprep_write_file "$file" "$mode"',
    'done <<<"$(k8sprep_yum_repos | awk -F\'\\t\' \'$3 == "retired" {print $1}\' | sort -u)"',
  ].join('\n');
}

function preflight(cluster: Cluster): string {
  const own = ownFiles(cluster).map(shq).join(' | ');
  return [
    'local file id state path probe="" skip="" log rc=0 failed reason',
    "while IFS=$'\\t' read -r file id state path; do",
    '  [ -n "$id" ] || continue',
    `  case $file in ${own}) skip="$skip,$id"; continue ;; esac`,
    '  # prep repairs these before the first install',
    '  if [ "$state" = retired ]; then skip="$skip,$id"; continue; fi',
    '  probe="$probe $id"',
    'done <<<"$(k8sprep_yum_repos)"',
    '[ -n "$probe" ] || return 0',
    'log=$(mktemp)',
    `timeout ${REPOSITORY_PROBE_TIMEOUT} yum -q makecache fast \${skip:+"--disablerepo=\${skip#,}"} >/dev/null 2>"$log" || rc=$?`,
    'if [ "$rc" -eq 124 ]; then',
    `  k8sprep_problem "yum could not read the repositories$probe within ${REPOSITORY_PROBE_TIMEOUT} s: one of them does not answer; fix it or set enabled=0 in its file under ${REPO_DIR}, then run again"`,
    'elif [ "$rc" -ne 0 ]; then',
    "  failed=$(sed -n -e 's/^Cannot find a valid baseurl for repo: \\([^/[:space:]]*\\).*/\\1/p' -e 's/^failure: .* from \\([^:[:space:]]*\\): .*/\\1/p' \"$log\" | head -n 1)",
    '  reason=$(grep -m 1 -E \'curl#|Errno\' "$log" || tail -n 1 "$log")',
    "  file=$(k8sprep_yum_repos | awk -F'\\t' -v id=\"$failed\" '$2 == id {print $1; exit}')",
    '  if [ -n "$failed" ]; then',
    `    k8sprep_problem "yum cannot read repository $failed (\${file:-${REPO_DIR}}): \${reason:-no reason given}; fix its baseurl or set enabled=0 there, then run again"`,
    '  else',
    `    k8sprep_problem "yum makecache failed (repositories$probe): \${reason:-no reason given}"`,
    '  fi',
    'fi',
    'rm -f "$log"',
  ].join('\n');
}

export const centosRepositoryRepair: RepositoryRepair = {
  helpers: () => HELPERS,
  clean: '[ -z "$(k8sprep_yum_repos | awk -F\'\\t\' \'$3 == "retired"\')" ]',
  repair,
  preflight,
};
