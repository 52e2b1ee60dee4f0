import { describe, expect, it } from 'vitest';
import type { ObservedInstance, Plan, PlanInput, RolloutProgress } from '../../src/plan/types.js';
import {
  fleet,
  HASH,
  input,
  inst,
  launched,
  MINUTE,
  NOW,
  OLD,
  plan,
  SECOND,
  type SpecOptions,
  shape,
  spec,
  terminated,
} from './helpers.js';

/** A new instance that never turned healthy: launched `ago` ms before NOW, unknown since. */
const bad = (id: string, ago = 10 * MINUTE) =>
  inst(id, { launchedAt: NOW - ago, health: 'unknown', healthSince: NOW - ago });
/** A new instance still booting (inside its grace period). */
const booting = (id: string) =>
  inst(id, { launchedAt: NOW - 10 * SECOND, health: 'unknown', healthSince: NOW - 10 * SECOND });
const old = (n: number) => fleet(n, { configHash: OLD }, 'old');
const sick = { health: 'unhealthy' as const, healthSince: NOW - 10 * MINUTE };

function rollout(o: Partial<RolloutProgress> = {}): RolloutProgress {
  return {
    configHash: HASH,
    startedAt: NOW - 20 * MINUTE,
    lastProgressAt: NOW - 20 * MINUTE,
    bestAvailable: 0,
    failedReplacements: 0,
    counted: [],
    provenHealthy: [],
    ...o,
  };
}

function planWith(s: SpecOptions, instances: ObservedInstance[], extra: Partial<PlanInput> = {}): Plan {
  return plan({ ...input(spec(s), instances), ...extra }, NOW);
}

describe('plan: a failing rollout', () => {
  const guard = { maxSurge: 1, maxUnavailable: 0, maxFailedReplacements: 3, progressDeadlineSeconds: 3600 };

  it('starts tracking a rollout when outdated instances appear, and launches within maxSurge', () => {
    const p = planWith({ size: 3, update: guard }, old(3));
    expect(shape(p)).toEqual(['launch:update:1']);
    expect(p.rollout).toMatchObject({
      configHash: HASH,
      startedAt: NOW,
      lastProgressAt: NOW,
      failedReplacements: 0,
    });
    expect(p.blocked).toBeUndefined();
  });

  it('counts a new instance that never became healthy once, and replaces it', () => {
    const first = planWith({ size: 3, update: guard }, [...old(3), bad('i-n1')], { rollout: rollout() });
    expect(first.rollout).toMatchObject({ failedReplacements: 1, counted: ['i-n1'] });
    // No room within maxSurge: the unavailable instance goes first.
    expect(shape(first)).toEqual(['terminate:unhealthy:i-n1', 'launch:replace:1']);
    // The same instance seen again (its termination not observed yet) is not counted twice.
    const again = planWith({ size: 3, update: guard }, [...old(3), bad('i-n1')], { rollout: first.rollout });
    expect(again.rollout?.failedReplacements).toBe(1);
  });

  it('halts after maxFailedReplacements in a row: no launch, no old instance touched, status says why', () => {
    const p = planWith({ size: 3, update: guard }, [...old(3), bad('i-n3')], {
      rollout: rollout({ failedReplacements: 2, counted: [] }),
    });
    const reason = `rollout of config ${HASH} halted: 3 new instances in a row never became healthy (maxFailedReplacements 3)`;
    expect(p.blocked?.reason).toBe(reason);
    expect(p.rollout?.halted).toBe(reason);
    // The failing new instance goes and is not replaced: a launch would only fail again.
    expect(shape(p)).toEqual(['terminate:unhealthy:i-n3']);
    expect(p.rollback).toEqual({ failedConfigHash: HASH, reason });
    // Every old instance it keeps is named.
    expect(p.holds.map((h) => `${h.id}:${h.reason}`)).toEqual([
      'i-old1:rollout-halted',
      'i-old2:rollout-halted',
      'i-old3:rollout-halted',
    ]);
  });

  it('halts without rolling back when autoRollback is false', () => {
    const p = planWith({ size: 3, update: { ...guard, autoRollback: false } }, [...old(3), bad('i-n3')], {
      rollout: rollout({ failedReplacements: 2 }),
    });
    expect(p.rollout?.halted).toBeDefined();
    expect(p.rollback).toBeUndefined();
    expect(launched(p)).toBe(0);
  });

  it('a halted rollout never removes an old healthy instance, not even as surplus', () => {
    // maxUnavailable 1 would allow one old instance to go; a new one is still starting.
    const s = { size: 3, update: { maxSurge: 1, maxUnavailable: 1 } };
    const p = planWith(s, [...old(3), booting('i-n1')], { rollout: rollout({ halted: 'halted: test' }) });
    expect(terminated(p).filter((id) => id.startsWith('i-old'))).toEqual([]);
  });

  it('halts when no new instance became healthy within progressDeadlineSeconds', () => {
    const s = { size: 3, update: { ...guard, progressDeadlineSeconds: 600 } };
    const before = planWith(s, [...old(3), booting('i-n1')], {
      rollout: rollout({ lastProgressAt: NOW - 599 * SECOND }),
    });
    expect(before.blocked).toBeUndefined();
    expect(before.nextCheckAt).toBe(NOW + SECOND);
    const after = planWith(s, [...old(3), booting('i-n1')], {
      rollout: rollout({ lastProgressAt: NOW - 600 * SECOND }),
    });
    expect(after.blocked?.reason).toBe(
      `rollout of config ${HASH} halted: no new instance became healthy within progressDeadlineSeconds 600`,
    );
  });

  it('a new instance becoming available is progress: the deadline restarts and the row of failures breaks', () => {
    const p = planWith({ size: 3, update: guard }, [...old(3), inst('i-n1')], {
      rollout: rollout({ failedReplacements: 2 }),
    });
    expect(p.rollout).toMatchObject({
      lastProgressAt: NOW,
      bestAvailable: 1,
      failedReplacements: 0,
      provenHealthy: ['i-n1'],
    });
    // A proven instance that fails later is not a failed replacement.
    const later = planWith({ size: 3, update: guard }, [...old(3), inst('i-n1', { state: 'stopped' })], {
      rollout: p.rollout,
    });
    expect(later.rollout?.failedReplacements).toBe(0);
  });

  it('stays halted until the config changes; a new config starts afresh', () => {
    const halted = rollout({ halted: 'rollout of config x halted: …' });
    const same = planWith({ size: 3, update: guard }, [...old(3)], { rollout: halted });
    expect(same.actions).toEqual([]);
    expect(same.rollout).toEqual(halted);
    const other = plan(
      {
        ...input(spec({ size: 3, update: guard }), old(3), { configHash: 'beef0000beef0000' }),
        rollout: halted,
      },
      NOW,
    );
    expect(other.rollout).toMatchObject({ configHash: 'beef0000beef0000', failedReplacements: 0 });
    expect(other.rollout?.halted).toBeUndefined();
    expect(launched(other, 'update')).toBe(1);
  });

  it('a new instance that vanishes on its own before it was healthy (a process that exited) counts once', () => {
    const first = planWith({ size: 3, update: guard }, [...old(3), booting('i-n1')], { rollout: rollout() });
    expect(first.rollout?.watching).toEqual(['i-n1']);
    const gone = planWith({ size: 3, update: guard }, old(3), { rollout: first.rollout });
    expect(gone.rollout?.failedReplacements).toBe(1);
    expect(gone.rollout?.watching).toBeUndefined();
  });

  it('ends the rollout once nothing outdated is left', () => {
    const p = planWith({ size: 3, update: guard }, fleet(3), { rollout: rollout() });
    expect(p.rollout).toBeUndefined();
  });

  it('counts failed new instances before the planner acts on them: the halt holds the same pass', () => {
    // maxUnavailable 1: the rollout may take one old instance down, never more while it fails.
    const s = { size: 3, update: { maxSurge: 0, maxUnavailable: 1, maxFailedReplacements: 1 } };
    const p = planWith(s, [...old(2), bad('i-n1')], { rollout: rollout() });
    expect(p.rollout?.halted).toBeDefined();
    expect(shape(p)).toEqual(['terminate:unhealthy:i-n1']);
    expect(p.notes).toEqual([`1 launch (replace) held: ${p.rollout?.halted}`]);
  });
});

describe('plan: rollout-only pause', () => {
  it('update.paused holds outdated instances and keeps healing and scaling', () => {
    const instances = [...fleet(2, { configHash: OLD }, 'old'), inst('i-sick', sick)];
    const p = planWith({ size: 4, update: { paused: true } }, instances);
    expect(shape(p)).toEqual(['launch:replace:1', 'launch:scale-up:1', 'terminate:unhealthy:i-sick']);
    expect(p.holds.map((h) => `${h.id}:${h.reason}`)).toEqual([
      'i-old1:rollout-paused',
      'i-old2:rollout-paused',
    ]);
    expect(p.holds[0]?.detail).toBe('outdated: update.paused is true');
  });

  it('the deadline does not run while the rollout is paused, and restarts in full on resume', () => {
    const s = { size: 2, update: { paused: true, progressDeadlineSeconds: 60 } };
    const paused = planWith(s, old(2), { rollout: rollout({ lastProgressAt: NOW - 10 * MINUTE }) });
    expect(paused.rollout?.halted).toBeUndefined();
    expect(paused.rollout?.paused).toBe(true);
    // Paused again next pass: nothing changes, so nothing needs writing.
    expect(planWith(s, old(2), { rollout: paused.rollout }).rollout).toEqual(paused.rollout);
    const resumed = planWith({ size: 2, update: { progressDeadlineSeconds: 60 } }, old(2), {
      rollout: paused.rollout,
    });
    expect(resumed.rollout).toMatchObject({ lastProgressAt: NOW });
    expect(resumed.rollout?.halted).toBeUndefined();
  });
});

describe('plan: canary and waves', () => {
  const update = { maxSurge: 3, maxUnavailable: 0, canary: 1 };

  it('replaces only the canary first, and says why the rest wait', () => {
    const p = planWith({ size: 4, update }, old(4));
    expect(shape(p)).toEqual(['launch:update:1']);
    expect(p.holds.filter((h) => h.reason === 'canary').map((h) => h.id)).toEqual([
      'i-old2',
      'i-old3',
      'i-old4',
    ]);
  });

  it('waits while the canary is not available yet (healthy for minHealthySeconds)', () => {
    const warming = inst('i-n1', { launchedAt: NOW - MINUTE, healthSince: NOW - 10 * SECOND });
    const p = planWith({ size: 4, update: { ...update, minHealthySeconds: 60 } }, [...old(4), warming]);
    expect(launched(p)).toBe(0);
    expect(terminated(p)).toEqual([]);
  });

  it('after the canary, waves grow with the new instances proven', () => {
    const one = planWith({ size: 4, update }, [...old(3), inst('i-n1')]);
    expect(launched(one, 'update')).toBe(1);
    const two = planWith({ size: 4, update }, [...old(2), inst('i-n1'), inst('i-n2')]);
    expect(launched(two, 'update')).toBe(2);
  });
});

describe('plan: replacement budget over a window', () => {
  const health = { maxReplacementsPerWindow: { count: 2, windowSeconds: 600 } };

  it('replaces up to the budget and holds the rest back, naming them', () => {
    const instances = [inst('i-1', sick), inst('i-2', sick), inst('i-3', sick), ...fleet(5, {}, 'ok')];
    const p = planWith({ size: 8, health: { ...health, maxUnhealthyPercent: 100 } }, instances, {
      remediations: [NOW - 100 * SECOND],
    });
    expect(terminated(p, 'unhealthy')).toEqual(['i-1']);
    expect(p.holds.map((h) => `${h.id}:${h.reason}`)).toEqual([
      'i-2:replacement-budget',
      'i-3:replacement-budget',
    ]);
    expect(p.remediations).toEqual([NOW - 100 * SECOND, NOW]);
    // The budget frees up when the oldest replacement leaves the window.
    expect(p.nextCheckAt).toBe(NOW + 500 * SECOND);
  });

  it('forgets replacements older than the window', () => {
    const p = planWith({ size: 3, health }, [inst('i-1', sick), ...fleet(2, {}, 'ok')], {
      remediations: [NOW - 601 * SECOND, NOW - 600 * SECOND],
    });
    expect(terminated(p, 'unhealthy')).toEqual(['i-1']);
    expect(p.remediations).toEqual([NOW]);
  });
});

describe('plan: remediation ladder and forensics', () => {
  const ladder = {
    remediation: ['reboot', 'replace'] as ('reboot' | 'replace')[],
    unhealthyTimeoutSeconds: 120,
  };

  it('reboots an unhealthy instance first and remembers when', () => {
    const p = planWith({ size: 2, health: ladder }, [inst('i-1', sick), inst('i-2')]);
    expect(shape(p)).toEqual(['reboot:i-1']);
    expect(p.rebooted).toEqual({ 'i-1': NOW });
  });

  it('waits the unhealthy timeout again after the reboot, then replaces', () => {
    const waiting = planWith({ size: 2, health: ladder }, [inst('i-1', sick), inst('i-2')], {
      rebooted: { 'i-1': NOW - 60 * SECOND },
    });
    expect(waiting.actions).toEqual([]);
    expect(waiting.nextCheckAt).toBe(NOW + 60 * SECOND);
    const due = planWith({ size: 2, health: ladder }, [inst('i-1', sick), inst('i-2')], {
      rebooted: { 'i-1': NOW - 120 * SECOND },
    });
    expect(shape(due)).toEqual(['launch:replace:1', 'terminate:unhealthy:i-1']);
  });

  it('a failed (stopped) instance is replaced at once: a reboot would not start it', () => {
    const p = planWith({ size: 2, health: ladder }, [inst('i-1', { state: 'stopped' }), inst('i-2')]);
    expect(shape(p)).toEqual(['terminate:failed:i-1', 'launch:replace:1']);
  });

  it('a ladder without replace ends at the reboot, and says so', () => {
    const p = planWith({ size: 2, health: { remediation: ['reboot'] } }, [inst('i-1', sick), inst('i-2')], {
      rebooted: { 'i-1': NOW - 10 * MINUTE },
    });
    expect(p.actions).toEqual([]);
    expect(p.holds.map((h) => h.reason)).toEqual(['ladder-exhausted']);
  });

  it('retainForForensics keeps a remediated instance running out of the group, and terminates outdated ones as usual', () => {
    const p = planWith({ size: 3, health: { retainForForensics: true } }, [
      inst('i-1', sick),
      inst('i-2', { configHash: OLD }),
      inst('i-3'),
    ]);
    expect(shape(p)).toEqual(['retain:unhealthy:i-1', 'launch:replace:1', 'launch:update:1']);
    expect(p.summary).toContain('retain 1 unhealthy');
  });
});

describe('plan: explain', () => {
  it('names the unhealthy instances maxUnhealthyPercent holds back', () => {
    const p = planWith({ size: 4 }, [inst('i-1', sick), inst('i-2', sick), inst('i-3'), inst('i-4')]);
    expect(p.holds).toEqual([
      {
        id: 'i-1',
        reason: 'max-unhealthy-percent',
        detail:
          'unhealthy past its timeout: 2 of 4 instances unhealthy (50%) exceeds maxUnhealthyPercent 40: remediation stopped',
      },
      {
        id: 'i-2',
        reason: 'max-unhealthy-percent',
        detail:
          'unhealthy past its timeout: 2 of 4 instances unhealthy (50%) exceeds maxUnhealthyPercent 40: remediation stopped',
      },
    ]);
  });

  it('gives the reasoning per instance when asked, and nothing otherwise', () => {
    const instances = [
      inst('i-1', sick),
      inst('i-2', { protected: true, configHash: OLD }),
      inst('i-3', { configHash: OLD }),
      inst('i-4'),
    ];
    const s = spec({ size: 4, health: { maxUnhealthyPercent: 100 } });
    expect(plan(input(s, instances), NOW).explain).toEqual([]);
    const p = plan({ ...input(s, instances), explain: true }, NOW);
    expect(p.explain).toEqual([
      { id: 'i-1', condition: 'unhealthy-due', outdated: false, decision: 'terminate: unhealthy' },
      {
        id: 'i-2',
        condition: 'available',
        outdated: true,
        decision: 'held: protected',
        detail: 'outdated, but tagged infrakit.protected=true',
      },
      {
        id: 'i-3',
        condition: 'available',
        outdated: true,
        decision: 'held: availability',
        detail: 'outdated, goes once a replacement is available (4 must stay available)',
      },
      { id: 'i-4', condition: 'available', outdated: false, decision: 'keep' },
    ]);
  });
});
