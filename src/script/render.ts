/**
 * The host-script renderer: a pure function from (host context, phase, selection) to
 * the exact bytes a host's `bash -s` receives (secrets still as placeholders; see
 * secrets.ts). The dry run prints these bytes; the real run sends them.
 */
import type { Step, StepContext } from '../steps/types.js';
import { PREAMBLE } from './preamble.js';

export interface StepSelection {
  only?: ReadonlySet<string>;
  skip?: ReadonlySet<string>;
}

/** What the renderer needs of a phase: its name and its steps. */
export interface StepPhase {
  id: string;
  title: string;
  steps: readonly Step[];
}

export interface RenderedScript {
  phase: StepPhase;
  /** The steps in the script, in order. */
  steps: Step[];
  /** Bash text with secret placeholders. */
  text: string;
}

function isSelected(step: Step, selection: StepSelection): boolean {
  if (step.guard) return true;
  if (selection.only && !selection.only.has(step.id)) return false;
  return !selection.skip?.has(step.id);
}

function functionName(step: Step): string {
  return `k8sprep_step_${step.id.replace(/-/g, '_')}`;
}

/** Bash refuses an empty function body. */
function body(fragment: string): string {
  return fragment.trim() === '' ? ':' : fragment;
}

/** `seen`: helper pieces already rendered in this script (a function defined twice is a mistake shellcheck rightly flags). */
function renderStep(step: Step, ctx: StepContext, seen: Set<string>): string {
  const fn = functionName(step);
  const verify = step.verify ? step.verify(ctx) : `${fn}_check`;
  const helpers = step.helpers?.(ctx) ?? [];
  const pieces = (typeof helpers === 'string' ? [helpers] : helpers).filter((h) => h !== '' && !seen.has(h));
  for (const h of pieces) seen.add(h);
  return [
    `# ${step.id}: ${step.title}`,
    ...pieces,
    `${fn}_check() {\n${body(step.check(ctx))}\n}`,
    `${fn}_apply() {\n${body(step.apply(ctx))}\n}`,
    `${fn}_verify() {\n${body(verify)}\n}`,
  ].join('\n');
}

/** The steps of `phase` that apply to this host and are selected; empty = no script (also when only guards are left: they guard nothing). */
export function stepsFor(phase: StepPhase, ctx: StepContext, selection: StepSelection): Step[] {
  const steps = phase.steps.filter((s) => s.appliesTo(ctx) && isSelected(s, selection));
  return steps.every((s) => s.guard) ? [] : steps;
}

export function renderHostScript(ctx: StepContext, phase: StepPhase, selection: StepSelection): RenderedScript {
  const steps = stepsFor(phase, ctx, selection);
  const seen = new Set<string>();
  const text = [
    '#!/bin/bash',
    `# k8sprep phase ${phase.id} (${phase.title}) for ${ctx.host.runtimeIdentity ? `any new ${ctx.os} worker` : `host ${ctx.host.name}`}: generated, do not edit.`,
    PREAMBLE,
    ...steps.map((s) => `${renderStep(s, ctx, seen)}\n`),
    'k8sprep_main() {',
    ...steps.map((s) => `  k8sprep_run_step ${s.id} ${functionName(s)}`),
    // A function body cannot be empty in bash; plan.ts sends no script without steps anyway.
    ...(steps.length === 0 ? ['  :'] : []),
    '}',
    '',
    '# stdin is this script: nothing it runs may read from it.',
    'k8sprep_main </dev/null',
    '',
  ].join('\n');
  return { phase, steps, text };
}
