/**
 * The plan: per host, the ordered phase scripts (DESIGN §3 "plan" and "render"). Pure
 * once every host's OS is known.
 */
import type { Cluster, Host, OsId } from '../cluster/types.js';
import { InputError } from '../errors.js';
import { type RenderedScript, renderHostScript, type StepSelection } from '../script/render.js';
import { secretRef } from '../script/secrets.js';
import type { BootstrapInputs, StepContext } from '../steps/types.js';
import { allSteps, type Phase } from './phase.js';

export interface HostPlan {
  host: Host;
  os: OsId;
  /** Non-empty phase scripts in run order. */
  scripts: RenderedScript[];
}

export function stepContext(cluster: Cluster, host: Host, os: OsId, bootstrap?: BootstrapInputs): StepContext {
  return { cluster, host, os, secret: secretRef, ...(bootstrap ? { bootstrap } : {}) };
}

/** The scripts of the step phases among `phases` (in order) for one host, numbered in that order. */
export function planHost(cluster: Cluster, host: Host, os: OsId, phases: readonly Phase[], selection: StepSelection, bootstrap?: BootstrapInputs): HostPlan {
  const ctx = stepContext(cluster, host, os, bootstrap);
  const scripts: HostPlan['scripts'] = [];
  for (const phase of phases) {
    if (!phase.steps) continue;
    const rendered = renderHostScript(ctx, { id: phase.id, title: phase.title, steps: phase.steps }, selection);
    if (rendered.steps.length > 0) scripts.push(rendered);
  }
  return { host, os, scripts };
}

/** Parses `--only` / `--skip` against the steps that exist; unknown ids are input errors. */
export function parseSelection(phases: readonly Phase[], only?: string, skip?: string): StepSelection {
  const known = new Set(allSteps(phases).map((s) => s.id));
  const parse = (flag: string, value?: string): Set<string> | undefined => {
    if (value === undefined) return undefined;
    const ids = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0 || ids.length === 0) {
      throw InputError.single(flag, `unknown step ${unknown.map((u) => JSON.stringify(u)).join(', ') || '(none given)'}; steps: ${[...known].join(', ')}`);
    }
    return new Set(ids);
  };
  if (only !== undefined && skip !== undefined) throw InputError.single('--only', 'cannot be combined with --skip');
  const selection: StepSelection = {};
  const o = parse('--only', only);
  const s = parse('--skip', skip);
  const guards = allSteps(phases).filter((step) => step.guard && s?.has(step.id));
  if (guards.length > 0) throw new InputError(guards.map((g) => ({ path: '--skip', reason: `${g.id} always runs: ${g.guard?.why ?? 'it is a guard'}` })));
  if (o) selection.only = o;
  if (s) selection.skip = s;
  return selection;
}

/** `--hosts a,b` -> those hosts in cluster-file order; unknown names are input errors. */
export function selectHosts(cluster: Cluster, names?: string): Host[] {
  if (names === undefined) return cluster.hosts;
  const wanted = names
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((n) => !cluster.hosts.some((h) => h.name === n));
  if (unknown.length > 0 || wanted.length === 0) {
    throw InputError.single(
      '--hosts',
      `no host named ${unknown.map((u) => JSON.stringify(u)).join(', ') || '(none given)'} in the cluster (hosts: ${cluster.hosts.map((h) => h.name).join(', ')})`,
    );
  }
  return cluster.hosts.filter((h) => wanted.includes(h.name));
}

/** `--hosts a,b` for commands that work on control planes only (certs): workers named are input errors. */
export function selectControlPlanes(cluster: Cluster, names?: string): Host[] {
  const hosts = selectHosts(cluster, names);
  if (names === undefined) return cluster.controlPlanes;
  const workers = hosts.filter((h) => !h.isControlPlane);
  if (workers.length > 0) {
    throw InputError.single(
      '--hosts',
      `${workers.map((w) => w.name).join(', ')}: not a control plane (control planes: ${cluster.controlPlanes.map((h) => h.name).join(', ')})`,
    );
  }
  return hosts;
}
