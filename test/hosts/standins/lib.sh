# shellcheck shell=bash
# Shared helpers of the test-host stand-ins (sourced, never run). Each stand-in starts with
#   . /usr/lib/k8sprep-testhost/lib.sh; th_begin NAME "$@"
# which records the call, honours injected failures and blocks. State lives in plain files
# under $TH_STATE so a test (and a human) can read it; see test/hosts/README.md.

TH_LIB=/usr/lib/k8sprep-testhost
TH_STATE=/var/lib/k8sprep-testhost
TH_CALLS=/var/log/k8sprep-testhost/calls.log
# host.env: TH_OS (centos7|arch), TH_KERNEL, TH_ARCH_KUBE, TH_PRETTY (written at host start).
# shellcheck source=/dev/null
. "$TH_STATE/host.env"

th_die() { printf '%s\n' "$*" >&2; exit 1; }

# th_json STRING: STRING as a JSON string literal.
th_json() {
  local s=$1 out='' c i
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  if [[ $s == *[$'\001'-$'\037']* ]]; then
    for ((i = 0; i < ${#s}; i++)); do
      c=${s:i:1}
      if [[ $c == [$'\001'-$'\037'] ]]; then printf -v c '\\u%04x' "'$c"; fi
      out+=$c
    done
    s=$out
  fi
  printf '"%s"' "$s"
}

# th_begin NAME ARGS...: one JSON array per call in the call log (one write, so lines of
# concurrent calls do not interleave), then the injected failure or block for NAME.
th_begin() {
  local name=$1 line arg
  line="[$(th_json "$name")"
  shift
  for arg in "$@"; do line+=",$(th_json "$arg")"; done
  printf '%s]\n' "$line" >>"$TH_CALLS"
  if [ -f "$TH_STATE/fail/command/$name" ]; then
    cat "$TH_STATE/fail/command/$name" >&2
    exit 1
  fi
  th_block_point "$name"
}

# A test creates block/NAME; the stand-in announces itself in block/NAME.waiting and waits
# until the test removes block/NAME (or kills the host's processes).
th_block_point() {
  local flag="$TH_STATE/block/$1"
  [ -e "$flag" ] || return 0
  echo "$$" >"$flag.waiting"
  while [ -e "$flag" ]; do sleep 0.05; done
  rm -f "$flag.waiting"
}

# Serialise state changes between concurrent stand-in calls. Only root changes state (the
# files are root's, as on a real host); other users' calls only read.
th_lock() {
  [ "$(id -u)" = 0 ] || return 0
  exec 9>>"$TH_STATE/.lock" && flock 9
}

# th_set_line FILE KEY LINE: replace the line whose first field is KEY (or append it).
th_set_line() {
  local file=$1 key=$2 line=$3 tmp
  tmp=$(mktemp "$file.XXXXXX")
  { [ -f "$file" ] && awk -v k="$key" -F'\t' '$1 != k' "$file"; printf '%s\n' "$line"; } >"$tmp"
  chmod 644 "$tmp" && mv "$tmp" "$file"
}

# th_del_line FILE KEY
th_del_line() {
  local file=$1 key=$2 tmp
  [ -f "$file" ] || return 0
  tmp=$(mktemp "$file.XXXXXX")
  awk -v k="$key" -F'\t' '$1 != k' "$file" >"$tmp"
  chmod 644 "$tmp" && mv "$tmp" "$file"
}

# ---- packages ---------------------------------------------------------------------------
# packages.db: NAME<TAB>VERSION<TAB>RELEASE<TAB>REPO, one installed package per line.
# catalog.tsv: NAME VERSIONS RELEASE REPO BINS DEPS PREINSTALLED (see the file's header).

th_pkg_field() { awk -F'\t' -v n="$1" -v f="$2" '$1 == n {print $f; exit}' "$TH_STATE/packages.db"; }
th_pkg_installed() { [ -n "$(th_pkg_field "$1" 1)" ]; }
th_catalog_line() { awk -F'\t' -v n="$1" '$1 == n && !/^#/ {print; exit}' "$TH_LIB/catalog.tsv"; }

# th_pkg_put NAME VERSION RELEASE REPO: record NAME and lay down its files and binaries.
# Config files under /etc are not replaced (like rpm's %config(noreplace)).
th_pkg_put() {
  local name=$1 version=$2 release=$3 repo=$4 bins bin src line
  line=$(th_catalog_line "$name")
  IFS=$'\t' read -r _ _ _ _ bins _ _ <<<"$line"
  if [ -d "$TH_LIB/pkgfiles/$name" ]; then
    # What the package lays down itself (not what was there): th_pkg_drop removes only that.
    (cd "$TH_LIB/pkgfiles/$name" && find . ! -type d -printf '/%P\n') | while IFS= read -r f; do [ -e "$f" ] || echo "$f"; done >"$TH_STATE/pkgfiles-$name.list"
    cp -an "$TH_LIB/pkgfiles/$name/." /
  fi
  if [ -n "$bins" ] && [ "$bins" != - ]; then
    for bin in ${bins//,/ }; do
      src="$TH_LIB/standins/${bin##*/}"
      [ -f "$src" ] || src="$TH_LIB/standins/generic"
      th_install_bin "$src" "$bin"
    done
  fi
  th_set_line "$TH_STATE/packages.db" "$name" "$name"$'\t'"$version"$'\t'"$release"$'\t'"$repo"
}

# th_pkg_drop NAME: forget NAME and remove its binaries and the files it laid down, as rpm -e
# and pacman -R do: a file as the package shipped it goes, a changed config file under /etc
# stays as .rpmsave, the package's directories go when empty.
th_pkg_drop() {
  local bins bin tree=$TH_LIB/pkgfiles/$1 list=$TH_STATE/pkgfiles-$1.list f d
  IFS=$'\t' read -r _ _ _ _ bins _ _ <<<"$(th_catalog_line "$1")"
  if [ -n "$bins" ] && [ "$bins" != - ]; then
    for bin in ${bins//,/ }; do rm -f "$bin"; done
  fi
  if [ -f "$list" ]; then
    while IFS= read -r f; do
      if [ ! -e "$f" ]; then continue; fi
      if cmp -s "$tree$f" "$f" || [[ $f != /etc/* ]]; then rm -f "$f"; else mv -f "$f" "$f.rpmsave"; fi
    done <"$list"
    rm -f "$list"
    while IFS= read -r d; do rmdir "$d" 2>/dev/null || true; done < <(find "$tree" -mindepth 1 -depth -type d -printf '/%P\n')
  fi
  th_del_line "$TH_STATE/packages.db" "$1"
}

# th_install_bin SRC PATH: the stand-in SRC at PATH, and no other command of that name
# earlier on PATH (Debian keeps some in /usr/sbin that CentOS keeps in /usr/bin).
th_install_bin() {
  local src=$1 path=$2 dir
  for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin; do rm -f "$dir/${path##*/}"; done
  mkdir -p "${path%/*}"
  if [ "${src##*/}" = generic ]; then
    # The generic stand-in learns its name from $0, so a symlink keeps it one file.
    ln -s "$src" "$path"
  else
    cp "$src" "$path"
    chmod 755 "$path"
  fi
}

# th_injected_install_failure NAME: exit 1 with the injected message, if any.
th_injected_install_failure() {
  local f="$TH_STATE/fail/package-install/$1"
  if [ -f "$f" ]; then
    cat "$f" >&2
    exit 1
  fi
}

# Versions of the Kubernetes tools: "kube" in the catalog means any X.Y.Z the repo offers.
th_latest_patch() {
  case $1 in
    1.24) echo 1.24.17 ;; 1.25) echo 1.25.16 ;; 1.26) echo 1.26.15 ;; 1.27) echo 1.27.16 ;;
    1.28) echo 1.28.15 ;; 1.29) echo 1.29.15 ;; 1.30) echo 1.30.14 ;; 1.31) echo 1.31.14 ;;
    1.32) echo 1.32.10 ;; 1.33) echo 1.33.6 ;; 1.34) echo 1.34.2 ;; 1.35) echo 1.35.0 ;;
    *) echo "$1.0" ;;
  esac
}

# ---- systemd units ------------------------------------------------------------------------
# units/NAME holds "ENABLED ACTIVE" (enabled|disabled|masked|static, active|inactive|failed).

th_unit_name() { case $1 in *.service | *.socket | *.swap | *.target | *.timer | *.mount) echo "$1" ;; *) echo "$1.service" ;; esac; }

th_unit_file_exists() {
  local d
  for d in /etc/systemd/system /usr/lib/systemd/system /run/systemd/system; do
    [ -e "$d/$1" ] && return 0
  done
  # Template instances (systemd-zram-setup@zram0.service) exist when the template does.
  case $1 in *@*.*) for d in /etc/systemd/system /usr/lib/systemd/system; do [ -e "$d/${1%%@*}@.${1##*.}" ] && return 0; done ;; esac
  return 1
}

th_unit_known() { [ -f "$TH_STATE/units/$1" ] || th_unit_file_exists "$1"; }

th_unit_get() {
  local en=disabled ac=inactive
  if [ -f "$TH_STATE/units/$1" ]; then read -r en ac <"$TH_STATE/units/$1"; fi
  printf '%s %s\n' "$en" "$ac"
}

th_unit_set() { mkdir -p "$TH_STATE/units" && printf '%s %s\n' "$2" "$3" >"$TH_STATE/units/$1"; }

th_unit_active() { [ "$(th_unit_get "$1" | cut -d' ' -f2)" = active ]; }

# ---- modules ---------------------------------------------------------------------------------
th_module_loaded() { grep -qx "$1" "$TH_STATE/modules" 2>/dev/null; }

# th_catalog_match ARG: "NAME<TAB>VERSION" for ARG = NAME or NAME-VERSION[-RELEASE] (the
# longest catalog name wins, so cri-tools-1.30.1 is cri-tools); fails for unknown names.
th_catalog_match() {
  awk -F'\t' -v a="$1" '
    /^#/ || NF < 7 { next }
    a == $1 { best = $1; ver = ""; exit }
    index(a, $1 "-") == 1 && substr(a, length($1) + 2, 1) ~ /[0-9]/ && length($1) > length(best) {
      best = $1; ver = substr(a, length($1) + 2)
    }
    END { if (best == "") exit 1; sub(/-[^-]*$/, "", ver) ; printf "%s\t%s\n", best, ver }' "$TH_LIB/catalog.tsv"
}

# th_versions SPEC KUBEMINOR: the versions a catalog SPEC offers, newest first. SPEC is a
# comma list, or "kube" (every patch of Kubernetes minor KUBEMINOR: the newest is listed,
# th_version_ok accepts any), or "kubeminor" (KUBEMINOR.0, like cri-tools per minor).
th_default_version() {
  case $1 in
    kube) th_latest_patch "$2" ;;
    kubeminor) echo "$2.0" ;;
    *) echo "${1%%,*}" ;;
  esac
}

th_version_ok() { # th_version_ok SPEC KUBEMINOR VERSION
  case $1 in
    kube) [[ $3 =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] && [ "${3%.*}" = "$2" ] ;;
    kubeminor) [ "${3%.*}" = "$2" ] ;;
    *) [[ ,$1, == *,"$3",* ]] ;;
  esac
}
