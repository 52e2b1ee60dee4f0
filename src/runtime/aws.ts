import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ApiDeps } from '../api/types.js';
import { ENV } from '../env.js';
import { EventPublisher, lazyEventBridgeClient, publishingRequestReconcile } from '../events/publisher.js';
import type { FlavorRegistry } from '../flavors/types.js';
import type { Log } from '../log.js';
import { buildPlugins, providerPlugins } from '../plugins/catalog.js';
import type { InstanceGroupLookup } from '../plugins/types.js';
import type { ProviderRegistry } from '../providers/types.js';
import type { LifecycleNotice } from '../reconcile/drain.js';
import { createEngine } from '../reconcile/index.js';
import type { Engine } from '../reconcile/types.js';
import { DynamoGroupStore } from '../store/index.js';
import type { GroupStore } from '../store/types.js';
import { checkControllerId } from '../tags.js';
import { asLog, createLogger } from './observability.js';

/**
 * The wiring shared by the three Lambda handlers: SDK clients, store, providers, engine and
 * publisher, built from the environment the CDK stack sets (ENV in src/env.ts). Region,
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
  /** This controller's identity (`infrakit.controller`). */
  readonly controllerId: string;
  readonly logger: Logger;
  readonly log: Log;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** The provider plugins the stack enables (INFRAKIT_PROVIDERS, comma-separated). @default ec2 */
export function enabledProviders(env: NodeJS.ProcessEnv): string[] {
  const names = (env[ENV.providers] ?? 'ec2')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return names.length > 0 ? names : ['ec2'];
}

/** Builds the runtime from `env`; call inside a handler, never at import time. */
export async function createAwsRuntime(env: NodeJS.ProcessEnv = process.env): Promise<AwsRuntime> {
  const tableName = required(env, ENV.tableName);
  const controllerId = checkControllerId(required(env, ENV.controllerId));
  const dynamo = new DynamoDBClient({});
  const events = lazyEventBridgeClient({});
  const store = new DynamoGroupStore({ client: dynamo, tableName });
  // The same plugin list as local mode and the construct (src/plugins/catalog.ts).
  const plugins = await buildPlugins(
    { where: 'aws', controllerId, env },
    providerPlugins(enabledProviders(env)),
  );
  const { providers, flavors } = plugins;
  // Names this container in leases and events; the lease token, not the owner, fences writes.
  const owner = `${env.AWS_LAMBDA_FUNCTION_NAME ?? 'lambda'}:${randomUUID().slice(0, 8)}`;
  const publisher = new EventPublisher({
    client: events,
    ...(env[ENV.eventBusName] ? { eventBusName: env[ENV.eventBusName] } : {}),
  });
  // Lifecycle hooks are announced on the project's bus, for the applications that drain.
  const announce = (notice: LifecycleNotice) => publisher.publishLifecycle(notice);
  const engine = createEngine({ store, providers, flavors, owner, controllerId, announce });
  const logger = createLogger();
  return {
    controllerId,
    store,
    engine,
    providers,
    flavors,
    publisher,
    lookupInstanceGroup: plugins.lookupInstanceGroup ?? (async () => undefined),
    requestReconcile: publishingRequestReconcile(publisher),
    logger,
    log: asLog(logger),
  };
}

let cached: Promise<AwsRuntime> | undefined;

/** The runtime of this Lambda container, built on first use and kept warm across invocations. */
export function awsRuntime(): Promise<AwsRuntime> {
  cached ??= createAwsRuntime().catch((err: unknown) => {
    // A failed build (a bad environment) is tried again by the next invocation, not cached.
    cached = undefined;
    throw err;
  });
  return cached;
}

/** Forgets the cached runtime (tests that change the environment between cases). */
export function resetAwsRuntime(): void {
  cached = undefined;
}
