/**
 * `config init`'s questions (@inquirer/prompts), in the order of the cluster file: name,
 * version, the hosts one by one, the endpoint when there are several control planes, CNI,
 * mirrors, SSH. Each answer is refused on the spot with `config validate`'s own reason
 * (checkAnswer); the flags' values are the defaults offered.
 */
import type { Cni, LoadBalancer, OsId, Role } from '../../cluster/types.js';
import { checkAnswer, controlPlaneCount, ENDPOINT_PORT, type HostAnswer, type InitAnswers, type MirrorChoice, VERSION_RANGES } from './answers.js';

/** Ctrl-C at a question: @inquirer/prompts' ExitPromptError. */
export function isPromptCancel(err: unknown): boolean {
  return err instanceof Error && err.name === 'ExitPromptError';
}

export async function askAnswers(defaults: InitAnswers, say: (line: string) => void): Promise<InitAnswers> {
  const { checkbox, confirm, input, select } = await import('@inquirer/prompts');
  const a: InitAnswers = { ...defaults, hosts: [] };
  const text = (v: string) => v.trim();

  a.name = text(
    await input({
      message: 'Cluster name (names the state directory .k8sprep/<name>)',
      default: defaults.name,
      validate: (v) => checkAnswer({ ...a, name: text(v) }, 'metadata.name'),
    }),
  );
  a.version = text(
    await input({
      message: `Kubernetes version (${VERSION_RANGES})`,
      default: defaults.version,
      validate: (v) => checkAnswer({ ...a, version: text(v) }, 'spec.kubernetes.version'),
    }),
  );

  for (;;) {
    const i = a.hosts.length;
    const offered = defaults.hosts[i];
    const at = `spec.hosts[${i}]`;
    const withHost = (h: HostAnswer): InitAnswers => ({ ...a, hosts: [...a.hosts, h] });
    const host: HostAnswer = {};
    host.name = text(
      await input({
        message: `Host ${i + 1}: name (the node name)`,
        default: offered?.name ?? `node${i + 1}`,
        validate: (v) => checkAnswer(withHost({ name: text(v) }), `${at}.name`),
      }),
    );
    host.address = text(
      await input({
        message: `Host ${i + 1} (${host.name}): address (IP or DNS name)`,
        ...(offered?.address ? { default: offered.address } : {}),
        validate: (v) => checkAnswer(withHost({ ...host, address: text(v) }), `${at}.address`),
      }),
    );
    const firstOrOffered = (role: Role) => (offered?.roles ? offered.roles.includes(role) : role === 'control-plane' ? i === 0 : i > 0);
    host.roles = await checkbox<Role>({
      message: `Host ${i + 1} (${host.name}): roles`,
      choices: (['control-plane', 'worker'] as const).map((role) => ({ value: role, checked: firstOrOffered(role) })),
      validate: (chosen) =>
        chosen.length === 0
          ? 'choose at least one role (space toggles, enter accepts)'
          : checkAnswer(withHost({ ...host, roles: chosen.map((c) => c.value) }), `${at}.roles`),
    });
    for (;;) {
      const os = await select<OsId | 'detect'>({
        message: `Host ${i + 1} (${host.name}): OS`,
        choices: [
          { value: 'centos7', name: 'CentOS 7' },
          { value: 'arch', name: 'Arch Linux' },
          { value: 'detect', name: 'read /etc/os-release over SSH when k8sprep runs' },
        ],
        default: offered?.os ?? 'detect',
      });
      const candidate: HostAnswer = { ...host, ...(os === 'detect' ? {} : { os }) };
      const verdict = checkAnswer(withHost(candidate), `${at}.os`);
      if (verdict === true) {
        a.hosts.push(candidate);
        break;
      }
      say(`  ${verdict}`);
    }
    const more = await confirm({ message: 'Add another host?', default: defaults.hosts.length > a.hosts.length });
    if (more) continue;
    if (controlPlaneCount(a) > 0) break;
    say('  the cluster needs at least one host with the control-plane role: add one');
  }

  const controlPlanes = controlPlaneCount(a);
  if (controlPlanes > 1) {
    say(`${controlPlanes} control planes: the API server needs one address in front of them.`);
    const loadBalancer = await select<LoadBalancer>({
      message: 'Load balancer for the API server',
      choices: [
        { value: 'kube-vip', name: 'kube-vip: a virtual IP on the control planes, port 6443' },
        { value: 'keepalived-haproxy', name: 'keepalived + haproxy: a virtual IP, haproxy on port 8443' },
        { value: 'external', name: 'external: your own load balancer (k8sprep installs nothing)' },
      ],
      default: defaults.endpoint?.loadBalancer ?? 'kube-vip',
    });
    const endpoint = { loadBalancer, port: ENDPOINT_PORT[loadBalancer] };
    const host = text(
      await input({
        message: loadBalancer === 'external' ? 'Load balancer address (DNS name or IP)' : "Virtual IP (a free address on the control planes' network)",
        ...(defaults.endpoint?.host ? { default: defaults.endpoint.host } : {}),
        validate: (v) => checkAnswer({ ...a, endpoint: { ...endpoint, host: text(v) } }, 'spec.controlPlaneEndpoint'),
      }),
    );
    a.endpoint = { ...endpoint, host };
  } else if (a.endpoint && checkAnswer(a, 'spec.controlPlaneEndpoint') !== true) {
    // --endpoint given for a single control plane: kept when valid (room to add more later), else dropped.
    delete a.endpoint;
  }

  a.cni = await select<Cni>({
    message: 'CNI (pod network)',
    choices: [
      { value: 'calico', name: 'calico (NetworkPolicy, BGP or VXLAN)' },
      { value: 'flannel', name: 'flannel (simple VXLAN overlay)' },
      { value: 'none', name: 'none (apply your own after node init)' },
    ],
    default: defaults.cni,
  });
  a.mirrors = await select<MirrorChoice>({
    message: 'Package and image mirrors',
    choices: [
      { value: 'aliyun', name: 'aliyun + China registry mirrors (docker.io, ghcr.io, quay.io through daocloud)' },
      { value: 'upstream', name: "upstream (the projects' own repositories and registries)" },
    ],
    default: defaults.mirrors,
  });
  a.sshUser = text(
    await input({
      message: 'SSH user (not root: scripts run through sudo)',
      default: defaults.sshUser,
      validate: (v) => checkAnswer({ ...a, sshUser: text(v) }, 'spec.ssh.user'),
    }),
  );
  const key = text(
    await input({
      message: 'SSH private key file (empty: ssh-agent, ~/.ssh/config, ~/.ssh/id_ed25519)',
      default: defaults.sshKey ?? '',
      validate: (v) => (text(v) === '' ? true : checkAnswer({ ...a, sshKey: text(v) }, 'spec.ssh.identityFile')),
    }),
  );
  if (key === '') delete a.sshKey;
  else a.sshKey = key;
  return a;
}
