import { Duration, Token } from 'aws-cdk-lib';
import { type LaunchGuardrails, LaunchGuardrailsSchema } from '../../src/providers/ec2/guardrails.js';
import type { ApiThrottle } from './http-api.js';

/** The props checked here, before any resource is created (CDK guideline: fail early, name the prop). */
export interface ValidatedProps {
  readonly sweepInterval?: Duration;
  readonly reconcileTimeout?: Duration;
  readonly instanceRoleArns?: readonly string[];
  readonly apiThrottle?: ApiThrottle;
  readonly controllerId?: string;
  readonly launchGuardrails?: LaunchGuardrails;
}

/**
 * A controller identity: 1-128 letters, digits and `. _ : -`, starting with a letter or digit. A
 * valid EC2 tag value, and safe as an IAM condition value (no `*` or `?`, which StringLike would
 * treat as wildcards) and in tag filters. The runtime checks the same pattern at start-up.
 */
export const CONTROLLER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const LAMBDA_MAX_TIMEOUT = Duration.minutes(15);

/** Throws an error naming the offending prop, its value and what would be accepted. */
export function validateControllerProps(path: string, props: ValidatedProps): void {
  const fail = (message: string): never => {
    throw new Error(`${path}: ${message}`);
  };
  const { sweepInterval, reconcileTimeout, instanceRoleArns, apiThrottle, controllerId, launchGuardrails } =
    props;
  if (sweepInterval !== undefined && !sweepInterval.isUnresolved()) {
    const seconds = sweepInterval.toSeconds();
    if (seconds < 60 || seconds % 60 !== 0) {
      fail(
        `sweepInterval must be a whole number of minutes, at least 1 (an EventBridge rate); got ${sweepInterval.toHumanString()}`,
      );
    }
  }
  if (reconcileTimeout !== undefined && !reconcileTimeout.isUnresolved()) {
    const seconds = reconcileTimeout.toSeconds();
    if (seconds < 60 || seconds > LAMBDA_MAX_TIMEOUT.toSeconds()) {
      fail(
        `reconcileTimeout must be between 1 and 15 minutes (the sweep needs time; Lambda allows 15 at most); got ${reconcileTimeout.toHumanString()}`,
      );
    }
  }
  for (const [i, arn] of (instanceRoleArns ?? []).entries()) {
    if (!Token.isUnresolved(arn) && !ROLE_ARN.test(arn)) {
      fail(
        `instanceRoleArns[${i}] must be an IAM role ARN (arn:aws:iam::123456789012:role/name), not an instance profile or a name; got '${arn}'`,
      );
    }
  }
  if (apiThrottle !== undefined) {
    const { rateLimit, burstLimit } = apiThrottle;
    if (!Number.isFinite(rateLimit) || rateLimit <= 0) {
      fail(`apiThrottle.rateLimit must be a positive number of requests per second; got ${rateLimit}`);
    }
    if (!Number.isInteger(burstLimit) || burstLimit < 1) {
      fail(`apiThrottle.burstLimit must be a positive integer; got ${burstLimit}`);
    }
  }
  if (
    controllerId !== undefined &&
    !Token.isUnresolved(controllerId) &&
    !CONTROLLER_ID_PATTERN.test(controllerId)
  ) {
    fail(
      `controllerId must be 1-128 letters, digits and . _ : - (starting with a letter or digit); got ${JSON.stringify(controllerId)}`,
    );
  }
  if (launchGuardrails !== undefined) {
    const parsed = LaunchGuardrailsSchema.safeParse(launchGuardrails);
    if (!parsed.success) {
      const issues = parsed.error.issues.map(
        (i) =>
          `launchGuardrails${i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}: ${i.message}`,
      );
      fail(`launchGuardrails is invalid (literal values only, no tokens): ${issues.join('; ')}`);
    }
  }
}
