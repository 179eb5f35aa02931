/**
 * `config init`'s flags: the answers for `--yes`, and the defaults the questions offer.
 * Problems with the assembled file are reported against the flag that gave the value.
 */
import type { Cni, LoadBalancer, OsId, Role } from '../../cluster/types.js';
import { InputError, type InputProblem } from '../../errors.js';
import { answerProblems, DEFAULT_VERSION, ENDPOINT_PORT, type HostAnswer, type InitAnswers, type MirrorChoice } from './answers.js';

export interface InitFlags {
  name?: string | undefined;
  version?: string | undefined;
  host?: string[] | undefined;
  endpoint?: string | undefined;
  'load-balancer'?: string | undefined;
  cni?: string | undefined;
  mirrors?: string | undefined;
  'ssh-user'?: string | undefined;
  'ssh-key'?: string | undefined;
}

export const HOST_FORMAT = 'NAME,ADDRESS,ROLES[,OS] (ROLES: control-plane, worker or control-plane+worker; OS: centos7 or arch, read over SSH when left out)';
export const DEFAULT_NAME = 'k8s';

/** `cp1,192.168.10.11,control-plane+worker,centos7`; the values themselves are checked by the schema. */
function parseHostFlag(value: string): HostAnswer {
  const parts = value.split(',').map((p) => p.trim());
  const [name, address, roles, os] = parts;
  if (parts.length < 3 || parts.length > 4 || !name || !address || !roles) {
    throw InputError.single('--host', `${JSON.stringify(value)} is not ${HOST_FORMAT}`);
  }
  return { name, address, roles: roles.split('+') as Role[], ...(os ? { os: os as OsId } : {}) };
}

/** The answers the flags give, defaults filled in (validated later, as a whole or answer by answer). */
export function answersFromFlags(flags: InitFlags): InitAnswers {
  const a: InitAnswers = {
    name: flags.name ?? DEFAULT_NAME,
    version: flags.version ?? DEFAULT_VERSION,
    hosts: (flags.host ?? []).map(parseHostFlag),
    cni: (flags.cni ?? 'calico') as Cni,
    mirrors: (flags.mirrors ?? 'aliyun') as MirrorChoice,
    sshUser: flags['ssh-user'] ?? 'root',
    ...(flags['ssh-key'] ? { sshKey: flags['ssh-key'] } : {}),
  };
  // Without --endpoint, several control planes leave it out: `config validate`'s own rule then says it is needed.
  if (flags.endpoint !== undefined) {
    const loadBalancer = (flags['load-balancer'] ?? 'kube-vip') as LoadBalancer;
    a.endpoint = { loadBalancer, port: ENDPOINT_PORT[loadBalancer], host: flags.endpoint };
  }
  return a;
}

/** `spec.hosts[1].address` -> the --host flag that gave host 1, and the field. */
function toFlagProblem(p: InputProblem, flags: InitFlags): InputProblem {
  const path = p.path ?? '';
  const host = /^spec\.hosts\[(\d+)\]\.?(.*)$/.exec(path);
  if (host) {
    const given = flags.host?.[Number(host[1])] ?? '';
    return { path: '--host', reason: `${JSON.stringify(given)}: ${host[2] ? `${host[2].replace(/\[\d+\]$/, '')}: ` : ''}${p.reason}` };
  }
  const rules: [RegExp, string][] = [
    [/^metadata\.name$/, '--name'],
    [/^spec\.kubernetes\.version$/, '--version'],
    [/^spec\.hosts$/, '--host'],
    [/^spec\.controlPlaneEndpoint\.loadBalancer$/, '--load-balancer'],
    [/^spec\.controlPlaneEndpoint/, '--endpoint'],
    [/^spec\.kubernetes\.cni$/, '--cni'],
    [/^spec\.ssh\.user$/, '--ssh-user'],
    [/^spec\.ssh\.identityFile$/, '--ssh-key'],
  ];
  const flag = rules.find(([re]) => re.test(path))?.[1];
  return { path: flag ?? p.path, reason: p.reason };
}

/** With --yes: the answers, or InputError naming the flags (exit 2). */
export function answersForYes(flags: InitFlags): InitAnswers {
  if (!flags.host || flags.host.length === 0) throw InputError.single('--host', `is required with --yes: once per host, ${HOST_FORMAT}`);
  if (flags['load-balancer'] !== undefined && flags.endpoint === undefined)
    throw InputError.single('--load-balancer', 'needs --endpoint (the address it serves)');
  const a = answersFromFlags(flags);
  const problems = answerProblems(a, false);
  if (problems.length > 0) throw new InputError(problems.map((p) => toFlagProblem(p, flags)));
  return a;
}
