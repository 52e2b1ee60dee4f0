/**
 * Environment variables the Lambda handlers read, set by the CDK construct. Both sides import
 * these names, so they agree by construction; renaming one is a breaking change for deployed stacks.
 */
export const ENV = {
  tableName: 'TABLE_NAME',
  eventBusName: 'EVENT_BUS_NAME',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'LOG_LEVEL',
  /** This controller's identity (`infrakit.controller` tag value); unique to the stack. */
  controllerId: 'INFRAKIT_CONTROLLER_ID',
  /** JSON of `LaunchGuardrails` (src/providers/ec2/guardrails.ts); absent means none. */
  launchGuardrails: 'INFRAKIT_LAUNCH_GUARDRAILS',
  /** Comma-separated provider plugin names the stack enables (`src/plugins/catalog.ts`). @default ec2 */
  providers: 'INFRAKIT_PROVIDERS',
  /**
   * JSON list of the InfraKit plugins the `infrakit` provider reaches (Lambda functions, HTTPS
   * endpoints), as src/providers/infrakit/endpoints.ts reads it; absent means none.
   */
  plugins: 'INFRAKIT_PLUGINS',
} as const;
