import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlanInput } from '../../src/plan/types.js';
import { observation, type SpecShape, specShape, toSpec } from './arbitraries.js';
import { fleet, HASH, inst, NOW, OLD, plan, SECOND, simulate } from './helpers.js';

/** Fisher-Yates with a small deterministic generator, so a failing case replays from its seed. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed || 1;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const STEP_MS = 10 * SECOND;
const MAX_STEPS = 400;

/** The window of the live count during an update: pets cannot surge and replace at least one at a time. */
function bounds(s: SpecShape): { low: number; high: number } {
  if (s.pets) return { low: s.logicalIds.length - Math.max(1, s.maxUnavailable), high: s.logicalIds.length };
  return { low: s.size - s.maxUnavailable, high: s.size + s.maxSurge };
}

describe('plan: properties', () => {
  it('(a) apply, observe, plan again reaches exactly the declared instances in a bounded number of steps', () => {
    fc.assert(
      fc.property(
        // Boot takes at most 3 steps (30 s), and with `lag` a launch is seen one step late and boots
        // from then (40 s): the grace period covers that, or new instances would be replaced before
        // they could ever become healthy (a pet with maxSurge 0 and a 30 s grace did exactly that).
        // Remediation is never blocked here, since a blocked group waits for an operator by design.
        specShape({ minGrace: 40, maxUnhealthyPercent: 100 }),
        observation({ protectedToo: false }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (shape, initial, bootSteps, lag) => {
          const result = simulate({
            spec: toSpec(shape),
            configHash: HASH,
            initial,
            start: NOW,
            stepMs: STEP_MS,
            bootSteps,
            lag,
            maxSteps: MAX_STEPS,
          });
          expect(result.convergedAfter).toBeDefined();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('(b) during a rolling update from a full healthy group, live instances stay within [size − maxUnavailable, size + maxSurge]', () => {
    fc.assert(
      fc.property(
        specShape({ minGrace: 30 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (shape, bootSteps, lag) => {
          const s = toSpec(shape);
          const initial = shape.pets
            ? shape.logicalIds.map((id) => inst(`i-${id}`, { logicalId: id, configHash: OLD }))
            : fleet(shape.size, { configHash: OLD });
          const { low, high } = bounds(shape);
          const result = simulate({
            spec: s,
            configHash: HASH,
            initial,
            start: NOW,
            stepMs: STEP_MS,
            bootSteps,
            lag,
            maxSteps: MAX_STEPS,
            onStep: (step) => {
              expect(step.live).toBeLessThanOrEqual(high);
              expect(step.live).toBeGreaterThanOrEqual(low);
              expect(step.healthy).toBeGreaterThanOrEqual(low);
            },
          });
          expect(result.convergedAfter).toBeDefined();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('(b) combined with a size change, never exceeds size + maxSurge and never loses availability below size − maxUnavailable', () => {
    fc.assert(
      fc.property(
        specShape({ minGrace: 30 }).filter((s) => !s.pets),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        (shape, startSize, lag) => {
          const result = simulate({
            spec: toSpec(shape),
            configHash: HASH,
            initial: fleet(startSize, { configHash: OLD }),
            start: NOW,
            stepMs: STEP_MS,
            bootSteps: 2,
            lag,
            maxSteps: MAX_STEPS,
            onStep: ({ live, healthy, before }) => {
              // A scale-down is brought within the upper bound by the very first plan; below the
              // lower bound (a scale-up), no healthy instance is given up until it is reached.
              expect(live).toBeLessThanOrEqual(shape.size + shape.maxSurge);
              expect(healthy).toBeGreaterThanOrEqual(
                Math.min(shape.size - shape.maxUnavailable, before.healthy),
              );
            },
          });
          expect(result.convergedAfter).toBeDefined();
        },
      ),
      { numRuns: 100 },
    );
  });

  const anyInput = fc
    .record({
      shape: specShape(),
      instances: observation({ protectedToo: true, max: 12 }),
      goingMask: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      retiringMask: fc.array(fc.option(fc.integer({ min: -600, max: 600 }), { nil: undefined }), {
        minLength: 12,
        maxLength: 12,
      }),
      pendingCount: fc.integer({ min: 0, max: 3 }),
      pendingIds: fc.shuffledSubarray(['a', 'b', 'x'], { maxLength: 2 }),
      ghostTermination: fc.boolean(),
    })
    .map(({ shape, instances, goingMask, retiringMask, pendingCount, pendingIds, ghostTermination }) => {
      const retiring = new Map<string, number>();
      instances.forEach((i, k) => {
        const offset = retiringMask[k];
        if (offset !== undefined) retiring.set(i.id, NOW + offset * SECOND);
      });
      const terminations = instances.filter((_, k) => goingMask[k]).map((i) => i.id);
      if (ghostTermination) terminations.push('i-ghost');
      const input: PlanInput = {
        spec: toSpec(shape),
        configHash: HASH,
        instances,
        pending: {
          launches: shape.pets
            ? pendingIds.length > 0
              ? [{ token: 't', count: pendingIds.length, logicalIds: pendingIds, configHash: HASH }]
              : []
            : pendingCount > 0
              ? [{ token: 't', count: pendingCount, configHash: OLD }]
              : [],
          terminations,
        },
        retiring,
      };
      return { shape, input };
    });

  it('(c) never terminates an instance that is protected, already going, or not observed', () => {
    fc.assert(
      fc.property(anyInput, ({ shape, input }) => {
        const p = plan(input, NOW);
        const observed = new Map(input.instances.map((i) => [i.id, i]));
        const going = new Set(input.pending.terminations);
        const ids = p.actions.flatMap((a) => (a.kind === 'terminate' ? a.ids : []));
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of ids) {
          expect(observed.get(id)?.protected).toBe(false);
          expect(going.has(id)).toBe(false);
        }
        // Launches never go past the upper bound, counting what is there and what is coming.
        const launches = p.actions.reduce((n, a) => n + (a.kind === 'launch' ? a.count : 0), 0);
        if (!shape.pets) {
          const before =
            input.instances.filter((i) => !going.has(i.id)).length +
            input.pending.launches.reduce((n, l) => n + l.count, 0);
          expect(before - ids.length + launches).toBeLessThanOrEqual(
            Math.max(shape.size + shape.maxSurge, before),
          );
        } else {
          const launchedIds = p.actions.flatMap((a) => (a.kind === 'launch' ? (a.logicalIds ?? []) : []));
          const held = new Set([
            ...input.instances.map((i) => i.logicalId),
            ...input.pending.launches.flatMap((l) => l.logicalIds ?? []),
          ]);
          expect(new Set(launchedIds).size).toBe(launchedIds.length);
          for (const id of launchedIds) {
            expect(shape.logicalIds).toContain(id);
            expect(held.has(id)).toBe(false);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('(d) the same input gives the same plan, whatever the order of the observed instances', () => {
    fc.assert(
      fc.property(anyInput, fc.nat(), ({ input }, seed) => {
        const first = plan(input, NOW);
        expect(plan(input, NOW)).toEqual(first);
        const shuffled = shuffle(input.instances, seed);
        expect(plan({ ...input, instances: shuffled }, NOW)).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });
});
