/**
 * Fakes for FixtureRoot (bodies of fake commands, bash): small stateful versions of what the
 * prep steps drive, with their state in files under FAKE_STATE so a second run sees what the
 * first one did. Only as much of each command as the steps use; the test hosts' stand-ins
 * (test/hosts/standins) are the fuller ones, for the end-to-end tests.
 */
export const FAKE_STATE = '/var/lib/fixture';

/**
 * systemctl: units/<unit> holds "ENABLED ACTIVE"; a unit without a file does not exist.
 * is-active, is-enabled, start, stop, restart, enable, disable, mask (with --now), list-units
 * (--type, --state, --all, glob patterns).
 */
export const SYSTEMCTL = String.raw`S=${FAKE_STATE}/units
mkdir -p "$S"
quiet=no now=no all=no verb='' type='' state='' units=()
while [ $# -gt 0 ]; do
  case $1 in
    -q | --quiet) quiet=yes ;;
    --now) now=yes ;;
    -a | --all) all=yes ;;
    --type) type=$2; shift ;;
    --type=*) type=${'$'}{1#*=} ;;
    --state) state=$2; shift ;;
    --state=*) state=${'$'}{1#*=} ;;
    -*) ;;
    *) if [ -z "$verb" ]; then verb=$1; else units+=("$1"); fi ;;
  esac
  shift
done
name() { case $1 in *.*) echo "$1" ;; *) echo "$1.service" ;; esac; }
get() { if [ -f "$S/$(name "$1")" ]; then cat "$S/$(name "$1")"; else echo "disabled inactive"; fi; }
put() { echo "$2 $3" >"$S/$(name "$1")"; }
case $verb in
  is-active)
    read -r en ac <<<"$(get "${'$'}{units[0]}")"
    [ "$quiet" = yes ] || echo "$ac"
    [ "$ac" = active ] ;;
  is-enabled)
    [ -f "$S/$(name "${'$'}{units[0]}")" ] || { echo "Failed to get unit file state for $(name "${'$'}{units[0]}"): No such file or directory" >&2; exit 1; }
    read -r en ac <<<"$(get "${'$'}{units[0]}")"
    [ "$quiet" = yes ] || echo "$en"
    [ "$en" = enabled ] ;;
  start | restart) for u in "${'$'}{units[@]}"; do read -r en ac <<<"$(get "$u")"; put "$u" "$en" active; done ;;
  stop) for u in "${'$'}{units[@]}"; do read -r en ac <<<"$(get "$u")"; put "$u" "$en" inactive; done ;;
  enable | disable | mask)
    for u in "${'$'}{units[@]}"; do
      read -r en ac <<<"$(get "$u")"
      case $verb in enable) en=enabled ;; disable) en=disabled ;; mask) en=masked ;; esac
      if [ "$now" = yes ]; then if [ "$verb" = enable ]; then ac=active; else ac=inactive; fi; fi
      put "$u" "$en" "$ac"
    done ;;
  daemon-reload) ;;
  list-units)
    for f in "$S"/*; do
      [ -f "$f" ] || continue
      u=${'$'}{f##*/}
      read -r en ac <"$f"
      [ -z "$type" ] || [ "${'$'}{u##*.}" = "$type" ] || continue
      if [ -n "$state" ]; then [ "$ac" = "$state" ] || continue; elif [ "$all" = no ]; then [ "$ac" = active ] || continue; fi
      if [ ${'$'}{#units[@]} -gt 0 ]; then
        hit=no
        # shellcheck disable=SC2053
        for p in "${'$'}{units[@]}"; do [[ $u == $p ]] && hit=yes; done
        [ "$hit" = yes ] || continue
      fi
      echo "$u loaded $ac running $u"
    done ;;
  *) echo "fake systemctl: no $verb" >&2; exit 1 ;;
esac`;

/** Units in the fake systemctl's state, as fixture files: unit -> "ENABLED ACTIVE". */
export function units(states: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(states).map(([unit, state]) => [`${FAKE_STATE}/units/${unit}`, `${state}\n`]));
}

/** Reads the fake systemctl's state of `unit` from a root's files. */
export function unitState(read: (path: string) => string | undefined, unit: string): string | undefined {
  return read(`${FAKE_STATE}/units/${unit}`)?.trim();
}

/**
 * A package manager: `packages` lists what is installed (one name a line, as asked for:
 * `kubelet-1.30.6` on rpm). yum install / pacman -S add to it, rpm -q / -qa / pacman -Q read it;
 * every other call (yum clean...) is only recorded. Installing a package runs its
 * on-install/<package> script, if any (provides(), or a test's own).
 */
const PACKAGE_DB = String.raw`mkdir -p ${FAKE_STATE}
DB=${FAKE_STATE}/packages
touch "$DB"
installed() { local p; for p in "$@"; do grep -qxF -- "$p" "$DB" || return 1; done; }
install() {
  local p c
  for p in "$@"; do
    installed "$p" && continue
    echo "$p" >>"$DB"
    if [ -f "${FAKE_STATE}/on-install/$p" ]; then bash "${FAKE_STATE}/on-install/$p"; fi
  done
}`;

export const RPM = String.raw`${PACKAGE_DB}
if [ "$1" = -qa ]; then cat "$DB"; exit 0; fi
[ "$1" = -q ] || exit 1
shift
installed "$@"`;

export const YUM = String.raw`${PACKAGE_DB}
cmd='' names=()
for a in "$@"; do case $a in -*) ;; *) if [ -z "$cmd" ]; then cmd=$a; else names+=("$a"); fi ;; esac; done
[ "$cmd" != install ] || install "${'$'}{names[@]}"`;

export const PACMAN = String.raw`${PACKAGE_DB}
op=$1
shift
names=()
for a in "$@"; do case $a in -*) ;; *) names+=("$a") ;; esac; done
case $op in
  -Q) installed "${'$'}{names[@]}" ;;
  -S) install "${'$'}{names[@]}" ;;
  *) exit 1 ;;
esac`;

/** Fixture files: installing `pkg` runs `script` (bash). */
export function onInstall(pkg: string, script: string): Record<string, string> {
  return { [`${FAKE_STATE}/on-install/${pkg}`]: `${script}\n` };
}

/** Fixture files: installing `pkg` lays down `commands` (empty scripts in /usr/local/bin). */
export function provides(pkg: string, commands: readonly string[]): Record<string, string> {
  return onInstall(pkg, commands.map((c) => `printf '#!/bin/sh\\n' >/usr/local/bin/${c}; chmod 755 /usr/local/bin/${c}`).join('\n'));
}

/** Fixture files: packages already installed. */
export function installedPackages(names: readonly string[]): Record<string, string> {
  return { [`${FAKE_STATE}/packages`]: names.map((n) => `${n}\n`).join('') };
}

/** The installed packages a root's files list. */
export function packagesIn(read: (path: string) => string | undefined): string[] {
  return (read(`${FAKE_STATE}/packages`) ?? '').split('\n').filter(Boolean);
}
