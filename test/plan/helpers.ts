import { expect } from 'vitest';
import { plan } from '../../src/plan/index.js';
import type { ObservedInstance, PendingLaunch, Plan, PlanInput } from '../../src/plan/types.js';
import { type GroupSpec, type GroupSpecInput, validateSpec } from '../../src/spec/index.js';

/** A fixed "now" for table tests (epoch ms). */
export const NOW = 1_800_000_000_000;
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
/** The spec's config hash in tests; `OLD` is any other. */
export const HASH = 'cafe0000cafe0000';
export const OLD = 'dead0000dead0000';

export interface SpecOptions {
  readonly size?: number;
  readonly logicalIds?: readonly string[];
  readonly health?: GroupSpecInput['health'];
  readonly update?: GroupSpecInput['update'];
  readonly paused?: boolean;
}

/** A validated spec (defaults filled in) on the process provider. */
export function spec(o: SpecOptions = {}): GroupSpec {
  return validateSpec({
    id: 'web',
    allocation: o.logicalIds ? { logicalIds: [...o.logicalIds] } : { size: o.size ?? 3 },
    instance: { provider: 'process', properties: { command: 'sleep' } },
    ...(o.health ? { health: o.health } : {}),
    ...(o.update ? { update: o.update } : {}),
    ...(o.paused !== undefined ? { paused: o.paused } : {}),
  });
}

/** A running instance, healthy for an hour, on the current config, unless overridden. */
export function inst(id: string, o: Partial<ObservedInstance> = {}): ObservedInstance {
  return {
    id,
    configHash: HASH,
    state: 'running',
    launchedAt: NOW - 60 * MINUTE,
    health: 'healthy',
    healthSince: NOW - 59 * MINUTE,
    protected: false,
    ...o,
  };
}

/** `n` healthy instances `i-<prefix>1…` with staggered launch times (lower number = older). */
export function fleet(n: number, o: Partial<ObservedInstance> = {}, prefix = ''): ObservedInstance[] {
  return Array.from({ length: n }, (_, i) =>
    inst(`i-${prefix}${i + 1}`, { launchedAt: NOW - (120 - i) * MINUTE, ...o }),
  );
}

export interface InputOptions {
  readonly launches?: readonly PendingLaunch[];
  readonly terminations?: readonly string[];
  readonly retiring?: ReadonlyMap<string, number>;
  readonly configHash?: string;
}

export function input(s: GroupSpec, instances: readonly ObservedInstance[], o: InputOptions = {}): PlanInput {
  return {
    spec: s,
    configHash: o.configHash ?? HASH,
    instances,
    pending: { launches: o.launches ?? [], terminations: o.terminations ?? [] },
    ...(o.retiring ? { retiring: o.retiring } : {}),
  };
}

/** Ids terminated by a plan, all reasons or one, sorted. */
export function terminated(p: Plan, reason?: string): string[] {
  return p.actions
    .flatMap((a) => (a.kind === 'terminate' && (reason === undefined || a.reason === reason) ? a.ids : []))
    .sort();
}

/** Instances launched by a plan, all reasons or one. */
export function launched(p: Plan, reason?: string): number {
  return p.actions.reduce(
    (n, a) => n + (a.kind === 'launch' && (reason === undefined || a.reason === reason) ? a.count : 0),
    0,
  );
}

/** Logical IDs launched by a plan, sorted. */
export function launchedIds(p: Plan): string[] {
  return p.actions.flatMap((a) => (a.kind === 'launch' ? (a.logicalIds ?? []) : [])).sort();
}

/** Compact view of a plan's actions for table assertions: `terminate:reason:ids` / `launch:reason:n`. */
export function shape(p: Plan): string[] {
  return p.actions.map((a) => {
    if (a.kind === 'launch')
      return `launch:${a.reason}:${a.count}${a.logicalIds ? `:${a.logicalIds.join(',')}` : ''}`;
    if (a.kind === 'reboot') return `reboot:${a.ids.join(',')}`;
    return `${a.retain ? 'retain' : 'terminate'}:${a.reason}:${a.ids.join(',')}`;
  });
}

/** One table case of the planner: a spec, an observation, and what the plan must contain. */
export interface PlanCase {
  desc: string;
  spec: SpecOptions;
  instances: ObservedInstance[];
  opts?: InputOptions;
  /** `shape(plan)`: the actions as short strings, in order. */
  actions: string[];
  /** The exact blocked reason; checked when given. */
  blocked?: string;
  summary?: string;
  notes?: string[];
  nextCheckAt?: number;
}

/** Plans case `c` at NOW (with `defaults` under its options) and asserts what the case states. */
export function expectCase(c: PlanCase, defaults: InputOptions = {}): Plan {
  // Prepare
  const s = spec(c.spec);
  // Act
  const p = plan(input(s, c.instances, { ...defaults, ...c.opts }), NOW);
  // Assess
  expect(shape(p)).toEqual(c.actions);
  if (c.blocked !== undefined) expect(p.blocked?.reason).toBe(c.blocked);
  if (c.summary !== undefined) expect(p.summary).toBe(c.summary);
  if (c.notes !== undefined) expect(p.notes).toEqual(c.notes);
  if (c.nextCheckAt !== undefined) expect(p.nextCheckAt).toBe(c.nextCheckAt);
  return p;
}

export { type SimOptions, type SimResult, type SimStep, simulate } from './simulator.js';
export { plan };
