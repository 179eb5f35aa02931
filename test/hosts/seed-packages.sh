#!/bin/bash
# Run by host-init.sh inside a new host's root: installs the catalog's preinstalled packages
# (their database lines, files and stand-ins), and removes every other command the catalog
# or the stand-ins name (Debian's real containerd, runc, kubectl... would otherwise answer
# before installation). Same result as th_pkg_put per package, with few processes: this runs
# at every host start.
set -euo pipefail
# shellcheck source=standins/lib.sh
. /usr/lib/k8sprep-testhost/lib.sh

db='' names=() copies=()
declare -A by_dir=() links=()
while IFS=$'\t' read -r name spec rel repo bins _ pre; do
  case $name in '#'* | '') continue ;; esac
  for b in ${bins//,/ }; do [ "$b" = - ] || names+=("${b##*/}"); done
  [ "$pre" = yes ] || continue
  db+="$name"$'\t'"${spec%%,*}"$'\t'"$rel"$'\t'"$repo"$'\n'
  [ -d "$TH_LIB/pkgfiles/$name" ] && copies+=("$TH_LIB/pkgfiles/$name/.")
  for b in ${bins//,/ }; do
    [ "$b" = - ] && continue
    if [ -f "$TH_LIB/standins/${b##*/}" ]; then by_dir[${b%/*}]+=" $TH_LIB/standins/${b##*/}"; else links[$b]=1; fi
  done
done <"$TH_LIB/catalog.tsv"
printf '%s' "$db" >"$TH_STATE/packages.db"

for f in "$TH_LIB"/standins/*; do names+=("${f##*/}"); done
gone=()
for n in "${names[@]}"; do
  case $n in lib.sh | generic) continue ;; esac
  gone+=("/usr/local/sbin/$n" "/usr/local/bin/$n" "/usr/sbin/$n" "/usr/bin/$n")
done
rm -f "${gone[@]}"

for c in "${copies[@]}"; do cp -an "$c" /; done
for dir in "${!by_dir[@]}"; do
  # shellcheck disable=SC2086 # a list of paths without spaces
  cp -t "$dir" ${by_dir[$dir]}
done
for b in "${!links[@]}"; do ln -s "$TH_LIB/standins/generic" "$b"; done
