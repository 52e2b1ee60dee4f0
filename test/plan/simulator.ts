import { plan } from '../../src/plan/index.js';
import type { ObservedInstance, PendingLaunch, Plan } from '../../src/plan/types.js';
import type { GroupSpec } from '../../src/spec/index.js';

/**
 * A small world for the planner: apply the plan's actions, let time pass, observe, plan again.
 * New instances start `pending`/`unknown` and turn `running`/`healthy` after `bootSteps` steps;
 * terminated ones disappear. With `lag`, the world is slower than the planner: a launch stays an
 * unobserved pending intent for one step, and a terminated instance lingers one step as
 * `shutting-down` with an unfinished terminate intent, as the engine would report them.
 */
export interface SimOptions {
  readonly spec: GroupSpec;
  readonly configHash: string;
  readonly initial: readonly ObservedInstance[];
  readonly start: number;
  readonly stepMs: number;
  readonly bootSteps: number;
  readonly lag: boolean;
  readonly maxSteps: number;
  /** Called after each plan is applied, with what the planner will see next. */
  readonly onStep?: (step: SimStep) => void;
  /** Whether an instance of this config turns healthy once booted (a bad AMI never does). @default always */
  readonly bootsHealthy?: (configHash: string) => boolean;
  /** The config a plan's `rollback` makes current again (as the engine's rollback would). */
  readonly rollbackTo?: string;
}

export interface SimStep {
  readonly index: number;
  readonly plan: Plan;
  /** Instances that count after applying: observed and not going, plus unobserved launches. */
  readonly live: number;
  /** Of the observed, not going instances: healthy ones. */
  readonly healthy: number;
  readonly before: { readonly live: number; readonly healthy: number };
}

export interface SimResult {
  /** Steps until a plan had no actions and the group was exactly as declared; undefined if never. */
  readonly convergedAfter?: number;
  readonly instances: readonly ObservedInstance[];
  readonly plans: readonly Plan[];
}

interface World {
  instances: ObservedInstance[];
  /** id → steps left before it turns healthy. */
  booting: Map<string, number>;
  /** Launched but not observed yet (lag). */
  unobserved: { token: string; instances: ObservedInstance[] }[];
  /** Terminated but still observed as going (lag). */
  going: Set<string>;
}

/** Exactly the declared instances: count, logical IDs, config hash, all healthy, nothing in flight. */
export function isExactlyDeclared(
  spec: GroupSpec,
  configHash: string,
  instances: readonly ObservedInstance[],
): boolean {
  if (!instances.every((i) => i.configHash === configHash && i.health === 'healthy' && i.state === 'running'))
    return false;
  const ids = spec.allocation.logicalIds;
  if (!ids) return instances.length === (spec.allocation.size ?? 0);
  const held = instances.map((i) => i.logicalId ?? '').sort();
  return JSON.stringify(held) === JSON.stringify([...ids].sort());
}

function counts(w: World): { live: number; healthy: number } {
  const visible = w.instances.filter((i) => !w.going.has(i.id));
  const pending = w.unobserved.reduce((n, u) => n + u.instances.length, 0);
  return { live: visible.length + pending, healthy: visible.filter((i) => i.health === 'healthy').length };
}

export function simulate(o: SimOptions): SimResult {
  const w: World = { instances: [...o.initial], booting: new Map(), unobserved: [], going: new Set() };
  const plans: Plan[] = [];
  let now = o.start;
  let serial = 0;
  let configHash = o.configHash;
  let memory: Pick<Plan, 'rollout' | 'remediations' | 'rebooted'> | undefined;
  for (let step = 0; step < o.maxSteps; step += 1) {
    const launches: PendingLaunch[] = w.unobserved.map((u) => ({
      token: u.token,
      count: u.instances.length,
      configHash: u.instances[0]?.configHash ?? configHash,
      ...(u.instances.some((i) => i.logicalId)
        ? { logicalIds: u.instances.map((i) => i.logicalId ?? '') }
        : {}),
    }));
    const p = plan(
      {
        spec: o.spec,
        configHash,
        instances: w.instances,
        pending: { launches, terminations: [...w.going] },
        ...(memory?.rollout ? { rollout: memory.rollout } : {}),
        ...(memory ? { remediations: memory.remediations, rebooted: memory.rebooted } : {}),
      },
      now,
    );
    plans.push(p);
    memory = p;
    const settledWorld = w.unobserved.length === 0 && w.going.size === 0;
    if (p.actions.length === 0 && settledWorld && isExactlyDeclared(o.spec, configHash, w.instances)) {
      return { convergedAfter: step, instances: w.instances, plans };
    }
    const before = counts(w);

    // The world catches up with the previous step first (lag), then this plan is applied.
    w.instances = w.instances.filter((i) => !w.going.has(i.id));
    w.going.clear();
    for (const u of w.unobserved) w.instances.push(...u.instances);
    w.unobserved = [];
    for (const action of p.actions) {
      if (action.kind === 'terminate') {
        for (const id of action.ids) {
          if (o.lag) {
            w.going.add(id);
            w.instances = w.instances.map((i) => (i.id === id ? { ...i, state: 'shutting-down' } : i));
          } else w.instances = w.instances.filter((i) => i.id !== id);
        }
        continue;
      }
      if (action.kind === 'reboot') continue;
      const fresh = Array.from({ length: action.count }, (_, k): ObservedInstance => {
        serial += 1;
        const id = `n-${String(serial).padStart(5, '0')}`;
        w.booting.set(id, o.bootSteps);
        const logicalId = action.logicalIds?.[k];
        return {
          id,
          configHash,
          state: 'pending',
          launchedAt: now,
          health: 'unknown',
          healthSince: now,
          protected: false,
          ...(logicalId !== undefined ? { logicalId } : {}),
        };
      });
      if (o.lag) w.unobserved.push({ token: `t-${serial}`, instances: fresh });
      else w.instances.push(...fresh);
    }
    o.onStep?.({ index: step, plan: p, ...counts(w), before });
    if (p.rollback && o.rollbackTo !== undefined && configHash !== o.rollbackTo) {
      configHash = o.rollbackTo;
      memory = { ...p, rollout: undefined };
    }

    now += o.stepMs;
    w.instances = w.instances.map((i) => {
      const left = w.booting.get(i.id);
      if (left === undefined) return i;
      if (left > 1) {
        w.booting.set(i.id, left - 1);
        return i;
      }
      w.booting.delete(i.id);
      if (i.state !== 'pending') return i;
      const health = (o.bootsHealthy?.(i.configHash) ?? true) ? 'healthy' : 'unhealthy';
      return { ...i, state: 'running', health, healthSince: now };
    });
  }
  return { instances: w.instances, plans };
}
