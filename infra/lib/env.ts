import { ENV } from '../../src/env.js';
import type { LaunchGuardrails } from '../../src/providers/ec2/guardrails.js';

/** Log levels Powertools understands (`LOG_LEVEL`). */
export type HandlerLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Powertools service name for logs and metrics dimensions. */
export const SERVICE_NAME = 'infrakit';

/** What the construct knows about where the handlers' state and events live. */
export interface HandlerEnvironmentInput {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly metricsNamespace: string;
  readonly logLevel: HandlerLogLevel;
  /** This controller's identity, the `infrakit.controller` tag value of everything it launches. */
  readonly controllerId: string;
  /** Launch guardrails the API checks specs against; undefined means none. */
  readonly launchGuardrails?: LaunchGuardrails;
  /** The provider plugins the functions build (`INFRAKIT_PROVIDERS`). */
  readonly providers: readonly string[];
  /** The InfraKit plugins as JSON (`INFRAKIT_PLUGINS`, `infrakit-plugins.ts`); undefined means none. */
  readonly plugins?: string | undefined;
}

/**
 * The environment every handler gets. Variable names come from `src/events/constants.ts`, which
 * the handlers read, so both sides agree by construction.
 */
export function handlerEnvironment(input: HandlerEnvironmentInput): Record<string, string> {
  return {
    [ENV.tableName]: input.tableName,
    [ENV.eventBusName]: input.eventBusName,
    [ENV.serviceName]: SERVICE_NAME,
    [ENV.metricsNamespace]: input.metricsNamespace,
    [ENV.logLevel]: input.logLevel,
    [ENV.controllerId]: input.controllerId,
    [ENV.providers]: input.providers.join(','),
    ...(input.plugins !== undefined ? { [ENV.plugins]: input.plugins } : {}),
    // Absent when there are none; the handlers parse it with LaunchGuardrailsSchema.
    ...(input.launchGuardrails !== undefined
      ? { [ENV.launchGuardrails]: JSON.stringify(input.launchGuardrails) }
      : {}),
    // Stack traces point into the TypeScript sources through the bundles' source maps.
    NODE_OPTIONS: '--enable-source-maps',
  };
}
