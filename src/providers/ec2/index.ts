export { CallCounter, type Ec2Api } from './api.js';
export {
  ADDRESS_IN_USE_CODES,
  awsErrorCode,
  CAPACITY_CODES,
  classifyAwsError,
  INVALID_CONFIG_CODES,
  isCapacity,
  isNotFound,
  isThrottling,
  NOT_FOUND_CODES,
  THROTTLING_CODES,
  toProviderError,
} from './errors.js';
export {
  guardrailIssues,
  type LaunchGuardrails,
  LaunchGuardrailsSchema,
  remoteGuardrailIssues,
} from './guardrails.js';
export {
  checkLaunchRequest,
  EC2_MAX_TAGS,
  EC2_MAX_USER_DATA_BYTES,
  MAX_PROPERTY_TAGS,
} from './launch-limits.js';
export { type Ec2Properties, Ec2PropertiesSchema, parseEc2Properties } from './properties.js';
export { Ec2Provider, type Ec2ProviderOptions } from './provider.js';
export type { RetryOptions } from './retry.js';
export { type Ec2ClientSource, type Ec2Sender, lazyEc2Client, loadEc2Sdk } from './sdk.js';
export { realSleep, type Sleep, TokenBucket, type TokenBucketOptions } from './token-bucket.js';
