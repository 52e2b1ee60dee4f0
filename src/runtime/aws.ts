import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ApiDeps } from '../api/types.js';
import { messageOf } from '../errors.js';
import { ENV } from '../events/constants.js';
import type { InstanceGroupLookup } from '../events/context.js';
import { ec2InstanceGroupLookup } from '../events/ec2-lookup.js';
import { EventPublisher, lazyEventBridgeClient, publishingRequestReconcile } from '../events/publisher.js';
import type { FlavorRegistry } from '../flavors/types.js';
import { vanillaFlavor } from '../flavors/vanilla/index.js';
import type { Log } from '../log.js';
import {
  Ec2Provider,
  type LaunchGuardrails,
  LaunchGuardrailsSchema,
  lazyEc2Client,
} from '../providers/ec2/index.js';
import type { ProviderRegistry } from '../providers/types.js';
import { createEngine } from '../reconcile/index.js';
import type { Engine } from '../reconcile/types.js';
import { DynamoGroupStore } from '../store/index.js';
import type { GroupStore } from '../store/types.js';
import { checkControllerId } from '../tags.js';
import { asLog, createLogger, createMetrics } from './observability.js';

/**
 * The wiring shared by the three Lambda handlers: SDK clients, store, providers, engine and
 * publisher, built from the environment the CDK stack sets (ENV in events/constants.ts). Region,
 * credentials and endpoints come from the SDK's standard chain (AWS_REGION, AWS_ENDPOINT_URL_*),
 * which is how the handler tests point it at dynalite and moto.
 */
export interface AwsRuntime {
  readonly store: GroupStore;
  readonly engine: Engine;
  readonly providers: ProviderRegistry;
  readonly flavors: FlavorRegistry;
  readonly publisher: EventPublisher;
  readonly lookupInstanceGroup: InstanceGroupLookup;
  readonly requestReconcile: ApiDeps['requestReconcile'];
  readonly logger: Logger;
  readonly log: Log;
  readonly metrics: Metrics;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** The construct's launch guardrails (JSON in INFRAKIT_LAUNCH_GUARDRAILS); none when unset. */
export function launchGuardrails(env: NodeJS.ProcessEnv): LaunchGuardrails {
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

/** Builds the runtime from `env`; call inside a handler, never at import time. */
export function createAwsRuntime(env: NodeJS.ProcessEnv = process.env): AwsRuntime {
  const tableName = required(env, ENV.tableName);
  const controllerId = checkControllerId(required(env, ENV.controllerId));
  const dynamo = new DynamoDBClient({});
  // The provider retries throttling itself (with its token bucket): no second layer of retries.
  // Built on first use: the EC2 SDK is the heaviest import, and many invocations never need it.
  const ec2 = lazyEc2Client({ maxAttempts: 1 });
  const events = lazyEventBridgeClient({});
  const store = new DynamoGroupStore({ client: dynamo, tableName });
  const guardrails = launchGuardrails(env);
  const providers: ProviderRegistry = new Map([['ec2', new Ec2Provider({ client: ec2, guardrails })]]);
  const flavors: FlavorRegistry = new Map([[vanillaFlavor.kind, vanillaFlavor]]);
  // Names this container in leases and events; the lease token, not the owner, fences writes.
  const owner = `${env.AWS_LAMBDA_FUNCTION_NAME ?? 'lambda'}:${randomUUID().slice(0, 8)}`;
  const engine = createEngine({ store, providers, flavors, owner, controllerId });
  const publisher = new EventPublisher({
    client: events,
    ...(env[ENV.eventBusName] ? { eventBusName: env[ENV.eventBusName] } : {}),
  });
  const logger = createLogger();
  return {
    store,
    engine,
    providers,
    flavors,
    publisher,
    lookupInstanceGroup: ec2InstanceGroupLookup(ec2, controllerId),
    requestReconcile: publishingRequestReconcile(publisher),
    logger,
    log: asLog(logger),
    metrics: createMetrics(),
  };
}

let cached: AwsRuntime | undefined;

/** The runtime of this Lambda container, built on first use and kept warm across invocations. */
export function awsRuntime(): AwsRuntime {
  cached ??= createAwsRuntime();
  return cached;
}

/** Forgets the cached runtime (tests that change the environment between cases). */
export function resetAwsRuntime(): void {
  cached = undefined;
}
