import type { GroupSpec } from '../spec/schema.js';

/** `health.maxReplacementsPerWindow` as of `now`: how many remediation replacements are left. */
export interface ReplacementWindow {
  /** Remediation replacements still allowed now (Infinity without a limit). */
  readonly left: number;
  /** Past replacements still inside the window (sorted), the ones worth remembering. */
  readonly recent: readonly number[];
  /** When the oldest recent replacement leaves the window (a budget then frees up). */
  readonly freesAt?: number;
}

/**
 * A sliding window over the group's remediation replacements, kept across passes and events by
 * the engine: unlike `maxUnhealthyPercent`, which sees one plan, it also stops a slow trickle
 * (an instance a minute, each looking like a lone failure).
 */
export function replacementWindow(spec: GroupSpec, past: readonly number[], now: number): ReplacementWindow {
  const limit = spec.health.maxReplacementsPerWindow;
  if (limit === undefined) return { left: Number.POSITIVE_INFINITY, recent: [] };
  const from = now - limit.windowSeconds * 1000;
  const recent = past.filter((at) => at > from && at <= now).sort((a, b) => a - b);
  const oldest = recent[0];
  return {
    left: Math.max(0, limit.count - recent.length),
    recent,
    ...(oldest !== undefined ? { freesAt: oldest + limit.windowSeconds * 1000 } : {}),
  };
}
