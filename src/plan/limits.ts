import { type Assessed, needsRemediation } from './health.js';

/** The verdict of the remediation limit (`health.maxUnhealthyPercent`). */
export interface RemediationLimit {
  /** Failed or unhealthy past their timeout. */
  readonly unhealthy: number;
  /** Instances observed (not already being terminated). */
  readonly observed: number;
  /** How many unhealthy instances may be repaired at most. */
  readonly allowed: number;
  /** Set when remediation must stop, stating the numbers. */
  readonly blockedReason?: string;
}

function percent(part: number, whole: number): string {
  const p = (part * 100) / whole;
  return Number.isInteger(p) ? `${p}%` : `${p.toFixed(1)}%`;
}

/**
 * The circuit breaker of CAPI's MachineHealthCheck and Karpenter's node repair: when too large a
 * share of the group is unhealthy, the cause is probably outside the instances (a bad AMI, a broken
 * dependency, an AZ outage), and replacing them would only churn. Remediation then stops and the
 * reason says why, with the numbers.
 *
 * The share is compared literally (2 of 4 unhealthy is 50 %, which exceeds 40 %), with one
 * exception: a single unhealthy instance may always be repaired, as EC2 Auto Scaling always
 * replaces at least one at a time; otherwise 1 of 1 (or 1 of 2) with the default 40 % would block
 * for ever. `maxUnhealthyPercent: 0` turns remediation off, 100 never blocks.
 */
export function remediationLimit(
  observed: readonly Assessed[],
  maxUnhealthyPercent: number,
): RemediationLimit {
  let unhealthy = 0;
  for (const a of observed) if (needsRemediation(a)) unhealthy += 1;
  const total = observed.length;
  const byShare = Math.floor((total * maxUnhealthyPercent) / 100);
  const allowed = maxUnhealthyPercent === 0 ? 0 : Math.max(1, byShare);
  if (unhealthy === 0 || unhealthy <= allowed) return { unhealthy, observed: total, allowed };
  return {
    unhealthy,
    observed: total,
    allowed,
    blockedReason:
      `${unhealthy} of ${total} instances unhealthy (${percent(unhealthy, total)}) exceeds ` +
      `maxUnhealthyPercent ${maxUnhealthyPercent}: remediation stopped`,
  };
}
