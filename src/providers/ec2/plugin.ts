import { ENV } from '../../env.js';
import { messageOf } from '../../errors.js';
import { isLoopback, LOOPBACK_CREDENTIALS } from '../../loopback.js';
import type { BuiltProvider, PluginEnvironment, ProviderPlugin } from '../../plugins/types.js';
import { ec2Grants } from './grants.js';
import { type LaunchGuardrails, LaunchGuardrailsSchema } from './guardrails.js';
import { ec2InstanceGroupLookup } from './lookup.js';
import { parseEc2Properties } from './properties.js';
import { Ec2Provider } from './provider.js';
import { lazyEc2Client } from './sdk.js';
import { Elbv2TargetGroups, lazyElbv2Client } from './targets.js';

/** The construct's launch guardrails (JSON in INFRAKIT_LAUNCH_GUARDRAILS); none when unset. */
export function launchGuardrails(env: Readonly<Record<string, string | undefined>>): LaunchGuardrails {
  const text = env[ENV.launchGuardrails];
  if (!text) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${ENV.launchGuardrails} is invalid: not JSON (${messageOf(err)})`);
  }
  const parsed = LaunchGuardrailsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${ENV.launchGuardrails} is invalid: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * `ec2`: instances in the account and region of the controller. Deployed, the client comes from
 * the SDK's standard chain (region, credentials, AWS_ENDPOINT_URL_*) and is built on first use (the
 * EC2 SDK is the heaviest import; many invocations never need it); in local mode it exists only
 * with `--ec2-endpoint`.
 */
export const ec2Plugin: ProviderPlugin = {
  name: 'ec2',
  summary: 'Amazon EC2 instances, tagged at launch',
  unavailable(environment) {
    if (environment.where === 'local' && !environment.ec2Endpoint)
      return 'local mode manages ec2 groups only with --ec2-endpoint';
    return undefined;
  },
  async build(environment: PluginEnvironment): Promise<BuiltProvider | undefined> {
    if (this.unavailable(environment)) return undefined;
    const { env, ec2Endpoint } = environment;
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    // The provider retries throttling itself (with its token bucket): no second layer of retries.
    const endpoint = ec2Endpoint
      ? {
          endpoint: ec2Endpoint,
          region,
          ...(isLoopback(new URL(ec2Endpoint)) ? { credentials: LOOPBACK_CREDENTIALS } : {}),
        }
      : {};
    const client = lazyEc2Client({ maxAttempts: 1, ...endpoint });
    // ELBv2 keeps the SDK's standard retry: its calls are few and not paced by the EC2 bucket.
    const targets = new Elbv2TargetGroups(lazyElbv2Client(endpoint));
    return {
      provider: new Ec2Provider({ client, guardrails: launchGuardrails(env), targets }),
      lookupInstanceGroup: ec2InstanceGroupLookup(client, environment.controllerId),
    };
  },
  validateProperties: (properties) => parseEc2Properties(properties),
  loadBalancers: true,
  // Read by the construct at synth time only: folded out of the Lambda bundles (infra/lib/bundling.ts).
  ...(process.env.INFRAKIT_BUNDLE === 'lambda' ? {} : { grants: ec2Grants }),
};
