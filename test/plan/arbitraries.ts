import fc from 'fast-check';
import type { ObservedInstance } from '../../src/plan/types.js';
import type { InstanceState } from '../../src/providers/types.js';
import type { GroupSpec } from '../../src/spec/index.js';
import { HASH, NOW, OLD, SECOND, spec } from './helpers.js';

/** Logical IDs specs draw from; observations draw from a wider pool so unknown IDs occur. */
export const ID_POOL = ['a', 'b', 'c', 'd', 'e', 'f'];
const OBSERVED_ID_POOL = [...ID_POOL, 'x', 'y'];

export interface SpecShape {
  readonly pets: boolean;
  readonly size: number;
  readonly logicalIds: readonly string[];
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  readonly gracePeriodSeconds: number;
  readonly unhealthyTimeoutSeconds: number;
  readonly minHealthySeconds: number;
  readonly maxUnhealthyPercent: number;
}

/** Random specs (cattle or pets). `minGrace` keeps the grace period above the simulated boot time. */
export function specShape(
  o: { minGrace?: number; maxUnhealthyPercent?: number } = {},
): fc.Arbitrary<SpecShape> {
  return fc
    .record({
      pets: fc.boolean(),
      size: fc.integer({ min: 0, max: 7 }),
      logicalIds: fc.shuffledSubarray(ID_POOL, { minLength: 1 }),
      maxSurge: fc.integer({ min: 0, max: 3 }),
      maxUnavailable: fc.integer({ min: 0, max: 3 }),
      gracePeriodSeconds: fc.integer({ min: o.minGrace ?? 0, max: 300 }),
      unhealthyTimeoutSeconds: fc.integer({ min: 0, max: 300 }),
      minHealthySeconds: fc.integer({ min: 0, max: 120 }),
      maxUnhealthyPercent:
        o.maxUnhealthyPercent === undefined
          ? fc.integer({ min: 0, max: 100 })
          : fc.constant(o.maxUnhealthyPercent),
    })
    .filter((s) => s.maxSurge + s.maxUnavailable > 0);
}

/**
 * The spec of a shape. The rollout guard (`maxFailedReplacements`, `progressDeadlineSeconds`) is
 * set out of reach unless `rolloutGuard` says otherwise: from a random observation a rollout may
 * rightly halt, and a halted group waits for a new version by design, which these properties do
 * not model (`plan.rollout.property.test.ts` does).
 */
export function toSpec(
  s: SpecShape,
  rolloutGuard?: { maxFailedReplacements: number; progressDeadlineSeconds: number },
): GroupSpec {
  return spec({
    ...(s.pets ? { logicalIds: s.logicalIds } : { size: s.size }),
    health: {
      gracePeriodSeconds: s.gracePeriodSeconds,
      unhealthyTimeoutSeconds: s.unhealthyTimeoutSeconds,
      maxUnhealthyPercent: s.maxUnhealthyPercent,
    },
    update: {
      maxSurge: s.maxSurge,
      maxUnavailable: s.maxUnavailable,
      minHealthySeconds: s.minHealthySeconds,
      ...(rolloutGuard ?? { maxFailedReplacements: 10_000, progressDeadlineSeconds: 86_400 }),
    },
  });
}

const STATES: InstanceState[] = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** One observed instance in any state; consistent (a `pending` instance is never `healthy`). */
export function observedInstance(o: { protectedToo: boolean }): fc.Arbitrary<Omit<ObservedInstance, 'id'>> {
  return fc
    .record({
      logicalId: fc.option(fc.constantFrom(...OBSERVED_ID_POOL), { nil: undefined, freq: 4 }),
      configHash: fc.constantFrom(HASH, HASH, OLD, ''),
      state: fc.constantFrom(...STATES, 'running', 'running'),
      health: fc.constantFrom(
        'healthy' as const,
        'healthy' as const,
        'unhealthy' as const,
        'unknown' as const,
      ),
      ageSeconds: fc.integer({ min: 0, max: 3600 }),
      healthForSeconds: fc.integer({ min: 0, max: 3600 }),
      protected: o.protectedToo ? fc.boolean() : fc.constant(false),
    })
    .map(({ ageSeconds, healthForSeconds, logicalId, ...r }) => {
      const launchedAt = NOW - ageSeconds * SECOND;
      const health = r.state === 'pending' && r.health === 'healthy' ? 'unknown' : r.health;
      return {
        ...r,
        ...(logicalId !== undefined ? { logicalId } : {}),
        health,
        launchedAt,
        healthSince: Math.max(launchedAt, NOW - healthForSeconds * SECOND),
      };
    });
}

/** Up to `max` observed instances with unique ids `i-00…`. */
export function observation(o: { protectedToo: boolean; max?: number }): fc.Arbitrary<ObservedInstance[]> {
  return fc
    .array(observedInstance(o), { maxLength: o.max ?? 10 })
    .map((list) => list.map((x, i) => ({ id: `i-${String(i).padStart(2, '0')}`, ...x })));
}
