import { type Assessed, isAvailable } from './health.js';

/**
 * Keeps voluntary terminations within `maxUnavailable`: an available instance may be terminated
 * only while at least `floor` available instances remain. Terminating an instance that is not
 * available (failed, unhealthy, still starting) costs nothing, which is what "counting unhealthy
 * as unavailable" means: they are already missing from the available count.
 */
export class AvailabilityBudget {
  #available: number;

  constructor(instances: readonly Assessed[]) {
    let n = 0;
    for (const a of instances) if (isAvailable(a)) n += 1;
    this.#available = n;
  }

  /** Available instances left after the terminations granted so far. */
  get available(): number {
    return this.#available;
  }

  /** Grants the termination of `a` if `floor` available instances remain afterwards. */
  take(a: Assessed, floor: number): boolean {
    if (!isAvailable(a)) return true;
    if (this.#available - 1 < floor) return false;
    this.#available -= 1;
    return true;
  }
}

/** The bounds of a rolling update (and of any replacement) for one group. */
export interface RolloutBounds {
  /** At most this many instances, counting unobserved launches: `size + maxSurge`. */
  readonly maxTotal: number;
  /** At least this many available instances after voluntary terminations: `size − maxUnavailable`. */
  readonly minAvailable: number;
}

export function rolloutBounds(size: number, maxSurge: number, maxUnavailable: number): RolloutBounds {
  return { maxTotal: size + maxSurge, minAvailable: Math.max(0, size - maxUnavailable) };
}
