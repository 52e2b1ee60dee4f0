import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ObservedInstance, Plan } from '../../src/plan/types.js';
import { configHash, restoreConfig } from '../../src/spec/index.js';
import { specShape, toSpec } from './arbitraries.js';
import { fleet, HASH, inst, MINUTE, NOW, OLD, plan, SECOND, simulate, spec } from './helpers.js';

const STEP_MS = 10 * SECOND;
const MAX_STEPS = 600;

/** A bad rollout's guard: halt after 1-3 failed replacements, or a deadline of 1-15 minutes. */
const guard = fc.record({
  maxFailedReplacements: fc.integer({ min: 1, max: 3 }),
  progressDeadlineSeconds: fc.integer({ min: 60, max: 900 }),
});

function initialFleet(pets: boolean, logicalIds: readonly string[], size: number): ObservedInstance[] {
  return pets
    ? logicalIds.map((id) => inst(`i-${id}`, { logicalId: id, configHash: OLD }))
    : fleet(size, { configHash: OLD });
}

describe('plan: rollout properties', () => {
  it('(e) a rollout whose instances never turn healthy keeps size − maxUnavailable healthy at every step, halts, and with autoRollback ends on the previous config with nothing lost', () => {
    fc.assert(
      fc.property(
        // Remediation is never blocked here: after the rollback the failed instances must go.
        specShape({ minGrace: 30, maxUnhealthyPercent: 100 }),
        guard,
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (shape, g, bootSteps, lag) => {
          const desired = shape.pets ? shape.logicalIds.length : shape.size;
          const floor = desired - (shape.pets ? Math.max(1, shape.maxUnavailable) : shape.maxUnavailable);
          let halted = false;
          const result = simulate({
            spec: toSpec(shape, g),
            configHash: HASH,
            initial: initialFleet(shape.pets, shape.logicalIds, shape.size),
            start: NOW,
            stepMs: STEP_MS,
            bootSteps,
            lag,
            maxSteps: MAX_STEPS,
            bootsHealthy: (hash) => hash !== HASH,
            rollbackTo: OLD,
            onStep: (step) => {
              expect(step.healthy).toBeGreaterThanOrEqual(Math.max(0, floor));
              if (step.plan.rollback) halted = true;
            },
          });
          // A group of 0 has nothing to roll.
          if (desired > 0) expect(halted).toBe(true);
          expect(result.convergedAfter).toBeDefined();
          expect(result.instances.every((i) => i.configHash === OLD)).toBe(true);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('(f) under any sequence of health observations, no plan of a rollout takes healthy instances below size − maxUnavailable (cattle)', () => {
    fc.assert(
      fc.property(
        specShape({ minGrace: 30 }).filter((s) => !s.pets && s.size > 0),
        guard,
        fc.array(fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), { minLength: 30, maxLength: 30 }),
        (shape, g, flips) => {
          const s = toSpec(shape, g);
          const floor = shape.size - shape.maxUnavailable;
          let instances: ObservedInstance[] = fleet(shape.size, { configHash: OLD });
          let memory: Plan | undefined;
          let serial = 0;
          let now = NOW;
          for (const [step, row] of flips.entries()) {
            // The world: any new instance may turn healthy or unhealthy at any step.
            instances = instances.map((i, k) => {
              if (i.configHash !== HASH || !row[k % row.length]) return i;
              const health = i.health === 'healthy' ? 'unhealthy' : 'healthy';
              return { ...i, state: 'running', health, healthSince: now };
            });
            const p = plan(
              {
                spec: s,
                configHash: HASH,
                instances,
                pending: { launches: [], terminations: [] },
                ...(memory?.rollout ? { rollout: memory.rollout } : {}),
                ...(memory ? { remediations: memory.remediations, rebooted: memory.rebooted } : {}),
              },
              now,
            );
            memory = p;
            const byId = new Map(instances.map((i) => [i.id, i]));
            const availableBefore = countAvailable(instances, now, s.update.minHealthySeconds);
            let lost = 0;
            for (const a of p.actions) {
              if (a.kind !== 'terminate') continue;
              for (const id of a.ids) {
                const i = byId.get(id);
                if (i && isAvailable(i, now, s.update.minHealthySeconds)) lost += 1;
              }
            }
            expect(availableBefore - lost).toBeGreaterThanOrEqual(Math.min(availableBefore, floor));
            // Apply.
            const doomed = new Set(p.actions.flatMap((a) => (a.kind === 'terminate' ? a.ids : [])));
            instances = instances.filter((i) => !doomed.has(i.id));
            for (const a of p.actions) {
              if (a.kind !== 'launch') continue;
              for (let n = 0; n < a.count; n += 1) {
                serial += 1;
                instances.push(
                  inst(`n-${String(serial).padStart(4, '0')}`, {
                    state: 'pending',
                    health: 'unknown',
                    launchedAt: now,
                    healthSince: now,
                  }),
                );
              }
            }
            now += step % 3 === 0 ? MINUTE : STEP_MS;
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('(g) rollback restores the previous config hash, whatever else the failed version changed', () => {
    const anySpec = fc.record({
      size: fc.integer({ min: 0, max: 9 }),
      image: fc.constantFrom('ami-1', 'ami-2', 'ami-3'),
      init: fc.array(fc.constantFrom('echo a', 'echo b'), { maxLength: 2 }),
      maxSurge: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(anySpec, anySpec, (a, b) => {
        const make = (x: typeof a) => ({
          ...spec({ size: x.size, update: { maxSurge: x.maxSurge } }),
          instance: { provider: 'ec2', properties: { imageId: x.image } },
          flavor: { kind: 'vanilla', properties: { init: x.init } },
        });
        const previous = make(a);
        const failed = make(b);
        const restored = restoreConfig(failed, previous);
        expect(configHash(restored)).toBe(configHash(previous));
        expect(restored.allocation).toEqual(failed.allocation);
        expect(restored.update).toEqual(failed.update);
      }),
      { numRuns: 200 },
    );
  });

  it('(h) remediation replacements never exceed maxReplacementsPerWindow in any window, across passes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 60, max: 1200 }),
        fc.array(
          fc.record({ sick: fc.integer({ min: 0, max: 6 }), advance: fc.integer({ min: 0, max: 900 }) }),
          { minLength: 5, maxLength: 40 },
        ),
        (count, windowSeconds, passes) => {
          const s = spec({
            size: 8,
            health: { maxUnhealthyPercent: 100, maxReplacementsPerWindow: { count, windowSeconds } },
          });
          const replacedAt: number[] = [];
          let remediations: readonly number[] = [];
          let now = NOW;
          for (const pass of passes) {
            now += pass.advance * SECOND;
            const instances = fleet(8).map((i, k) =>
              k < pass.sick ? { ...i, health: 'unhealthy' as const, healthSince: now - 10 * MINUTE } : i,
            );
            const p = plan(
              {
                spec: s,
                configHash: HASH,
                instances,
                pending: { launches: [], terminations: [] },
                remediations,
              },
              now,
            );
            remediations = p.remediations;
            for (const a of p.actions)
              if (a.kind === 'terminate' && a.reason === 'unhealthy')
                for (const _ of a.ids) replacedAt.push(now);
          }
          for (const t of replacedAt) {
            const inWindow = replacedAt.filter((u) => u > t - windowSeconds * SECOND && u <= t).length;
            expect(inWindow).toBeLessThanOrEqual(count);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

function isAvailable(i: ObservedInstance, now: number, minHealthySeconds: number): boolean {
  return i.state === 'running' && i.health === 'healthy' && now - i.healthSince >= minHealthySeconds * SECOND;
}

function countAvailable(
  instances: readonly ObservedInstance[],
  now: number,
  minHealthySeconds: number,
): number {
  return instances.filter((i) => isAvailable(i, now, minHealthySeconds)).length;
}
