/**
 * What an action is made of (DESIGN §3, after k0sctl's phases): an ordered list of phases, each
 * saying what it does (steps rendered into one script per host, or its own work through each
 * host's session, or work on this machine) and where: on which hosts, in parallel up to
 * --concurrency or one host at a time (stopping at the first failure when it says so). The
 * runner (runner.ts) runs every action, so an action differs from another only in its list.
 */
import type { Cluster, Host } from '../cluster/types.js';
import type { Step } from '../steps/types.js';
import type { HostFacts } from './facts.js';
import type { HostSession } from './session.js';

export interface PlacementContext {
  cluster: Cluster;
  /** The hosts the command works on (--hosts, or every host), in cluster-file order. */
  targets: readonly Host[];
}

export interface Placement {
  /** The phase's hosts, in the order a one-at-a-time phase takes them. */
  hosts(ctx: PlacementContext): readonly Host[];
  order: 'parallel' | 'one-at-a-time';
  /** One at a time: after a failure the remaining hosts are not run, and leave the run. */
  stopAtFirstFailure?: boolean;
}

/** Where phases run, by role (a host with both roles is a control plane first). */
export const HOSTS = {
  targets: (ctx: PlacementContext): readonly Host[] => ctx.targets,
  controlPlanes: (ctx: PlacementContext): readonly Host[] => ctx.targets.filter((h) => h.isControlPlane),
  firstControlPlane: (ctx: PlacementContext): readonly Host[] => ctx.targets.filter((h) => h === ctx.cluster.firstControlPlane),
  otherControlPlanes: (ctx: PlacementContext): readonly Host[] => ctx.targets.filter((h) => h.isControlPlane && h !== ctx.cluster.firstControlPlane),
  /** Hosts that join as workers only (a control plane that is also a worker joins as a control plane). */
  workers: (ctx: PlacementContext): readonly Host[] => ctx.targets.filter((h) => !h.isControlPlane),
  /** The cluster's hosts the command does not work on (node join/reset: the running cluster). */
  existing: (ctx: PlacementContext): readonly Host[] => ctx.cluster.hosts.filter((h) => !ctx.targets.includes(h)),
  existingControlPlanes: (ctx: PlacementContext): readonly Host[] => ctx.cluster.controlPlanes.filter((h) => !ctx.targets.includes(h)),
  /** Where cluster operations run (kubectl, tokens, etcd): the first control plane the command does not work on. */
  operator: (ctx: PlacementContext): readonly Host[] => ctx.cluster.controlPlanes.filter((h) => !ctx.targets.includes(h)).slice(0, 1),
} as const;

export interface PhaseContext {
  cluster: Cluster;
  runId: string;
  /** A progress line for the operator (how an action shows it is its own choice). */
  progress(host: Host, message: string): void;
}

export interface Phase {
  /** kebab-case; names the phase's script `NN-<id>.sh` and its place in the report. */
  id: string;
  title: string;
  /** 'local': runs on this machine, once (runLocal). */
  placement: Placement | 'local';
  /** Steps rendered into one script per host (src/script/render.ts); --only/--skip select among them. */
  steps?: readonly Step[];
  /** Or the phase's own work on one host, through its session; throws (HostError) to fail the host. */
  run?(session: HostSession, ctx: PhaseContext): Promise<void>;
  /** A 'local' phase's work. */
  runLocal?(ctx: PhaseContext): Promise<void>;
  /**
   * Cross-host checks (unique names/ids/MACs, clock skew...): every host finishes this phase,
   * then this compares their facts and returns problems per host name; a host with problems
   * fails with them, listed all at once, before anything on it changes in a later phase.
   */
  crossHostCheck?(facts: ReadonlyMap<string, HostFacts>, ctx: { cluster: Cluster }): Map<string, string[]>;
  /** Phases that must have run and succeeded on all their hosts before this one may start. */
  needs?: readonly string[];
}

/** The phase's host placement; undefined for a 'local' phase. */
export function hostPlacement(phase: Phase): Placement | undefined {
  return phase.placement === 'local' ? undefined : phase.placement;
}

/** The phases that reach `host` (a host's plan renders these). */
export function phasesOn(phases: readonly Phase[], ctx: PlacementContext, host: Host): Phase[] {
  return phases.filter((p) => hostPlacement(p)?.hosts(ctx).includes(host));
}

export function allSteps(phases: readonly Phase[]): Step[] {
  return phases.flatMap((p) => p.steps ?? []);
}
