import { Duration, Token } from 'aws-cdk-lib';
import type { ApiThrottle } from './http-api.js';

/** The props checked here, before any resource is created (CDK guideline: fail early, name the prop). */
export interface ValidatedProps {
  readonly sweepInterval?: Duration;
  readonly reconcileTimeout?: Duration;
  readonly instanceRoleArns?: readonly string[];
  readonly apiThrottle?: ApiThrottle;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const LAMBDA_MAX_TIMEOUT = Duration.minutes(15);

/** Throws an error naming the offending prop, its value and what would be accepted. */
export function validateControllerProps(path: string, props: ValidatedProps): void {
  const fail = (message: string): never => {
    throw new Error(`${path}: ${message}`);
  };
  const { sweepInterval, reconcileTimeout, instanceRoleArns, apiThrottle } = props;
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
}
