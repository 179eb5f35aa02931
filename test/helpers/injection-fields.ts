/**
 * Every cluster-file string field that could carry a shell payload, for the injection tests
 * (unit: test/script/injection.test.ts; on test hosts: test/e2e/injection.test.ts).
 */
export const PWNED = '/tmp/k8sprep-pwned';
export const PAYLOADS = [`$(touch ${PWNED})`, `\`touch ${PWNED}\``, `x; touch ${PWNED}`, `x'; touch ${PWNED}; '`, `x\ntouch ${PWNED}`];

export type Obj = Record<string, unknown>;

export interface InjectionField {
  /** Dotted, with indexes as segments: `spec.hosts.0.name`; `<key>` for a map key. */
  name: string;
  /** Puts `value` at the field (creating parents). */
  set(o: Obj, value: string): void;
  /** A local path, used only on this machine by the SSH client: it may hold anything printable. */
  localOnly: boolean;
}

function at(path: (string | number)[]): (o: Obj, v: string) => void {
  return (o, v) => {
    let node = o as Record<string | number, unknown>;
    for (const p of path.slice(0, -1)) {
      node[p] ??= {};
      node = node[p] as Record<string | number, unknown>;
    }
    node[path[path.length - 1]!] = v;
  };
}

/** `sshHost`: the host whose own `ssh:` block gets the per-host fields (it must exist in the file). */
export function injectionFields(sshHost: number): InjectionField[] {
  const paths: (string | number)[][] = [
    ['metadata', 'name'],
    ['spec', 'kubernetes', 'version'],
    ['spec', 'kubernetes', 'imageRepository'],
    ['spec', 'kubernetes', 'podSubnet'],
    ['spec', 'kubernetes', 'serviceSubnet'],
    ['spec', 'kubernetes', 'dnsDomain'],
    ['spec', 'kubernetes', 'proxyMode'],
    ['spec', 'kubernetes', 'cni'],
    ['spec', 'kubernetes', 'cniManifest', 'url'],
    ['spec', 'kubernetes', 'cniManifest', 'sha256'],
    ['spec', 'controlPlaneEndpoint', 'host'],
    ['spec', 'controlPlaneEndpoint', 'address'],
    ['spec', 'controlPlaneEndpoint', 'loadBalancer'],
    ['spec', 'controlPlaneEndpoint', 'virtualRouterId'],
    ['spec', 'mirrors', 'packages'],
    ['spec', 'mirrors', 'binaries'],
    ['spec', 'mirrors', 'manifests'],
    ['spec', 'firewall'],
    ['spec', 'sysctl', 'net.core.somaxconn'],
    ['spec', 'certificates', 'keyAlgorithm'],
    ['spec', 'certificates', 'caValidity'],
    ['spec', 'certificates', 'certValidity'],
    ['spec', 'ssh', 'user'],
    ['spec', 'ssh', 'identityFile'],
    ['spec', 'ssh', 'passwordEnv'],
    ['spec', 'ssh', 'bastion', 'host'],
    ['spec', 'ssh', 'bastion', 'user'],
    ['spec', 'ssh', 'bastion', 'identityFile'],
    ['spec', 'hosts', 0, 'name'],
    ['spec', 'hosts', 0, 'address'],
    ['spec', 'hosts', 0, 'os'],
    ['spec', 'hosts', sshHost, 'ssh', 'user'],
    ['spec', 'hosts', sshHost, 'ssh', 'identityFile'],
    ['spec', 'hosts', sshHost, 'ssh', 'passwordEnv'],
  ];
  const fields: InjectionField[] = paths.map((p) => ({ name: p.join('.'), set: at(p), localOnly: p[p.length - 1] === 'identityFile' }));
  const spec = (o: Obj) => o.spec as Obj;
  fields.push(
    { name: 'spec.hosts.0.roles.0', set: (o, v) => ((spec(o).hosts as Obj[])[0]!.roles = [v]), localOnly: false },
    { name: 'spec.mirrors.registries.docker.io.0', set: (o, v) => (((spec(o).mirrors ??= {}) as Obj).registries = { 'docker.io': [v] }), localOnly: false },
    {
      name: 'spec.mirrors.registries.<key>',
      set: (o, v) => (((spec(o).mirrors ??= {}) as Obj).registries = { [v]: ['https://m.example.com'] }),
      localOnly: false,
    },
    { name: 'spec.sysctl.<key>', set: (o, v) => (spec(o).sysctl = { [v]: 1 }), localOnly: false },
  );
  return fields;
}

/** The path an input problem names for the field (`spec.hosts[0].name`; for a map key, the map's path and a dot). */
export function problemPath(field: InjectionField): string {
  return field.name.replace(/\.(\d+)(?=\.|$)/g, '[$1]').replace(/\.<key>$/, '.');
}

/** Whether an input problem's path is the field's. */
export function namesField(field: InjectionField, path: string): boolean {
  const want = problemPath(field);
  return want.endsWith('.') ? path.startsWith(want) : path === want;
}
