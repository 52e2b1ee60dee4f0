import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Steady-state and burst request limits of the API's default stage. */
export interface ApiThrottle {
  /** Requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst above the rate. */
  readonly burstLimit: number;
}

/** What the HTTP API needs from the construct. */
export interface ControllerApiOptions {
  readonly handler: IFunction;
  readonly throttle: ApiThrottle;
  readonly logRetention: RetentionDays;
}

/**
 * One JSON line per request. HTTP API variables only (they differ from REST APIs'); the caller's
 * IAM identity is logged because IAM is the only way in.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    caller: '$context.identity.caller',
    userArn: '$context.identity.userArn',
    routeKey: '$context.routeKey',
    method: '$context.httpMethod',
    path: '$context.path',
    status: '$context.status',
    responseLength: '$context.responseLength',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
  }),
);

/**
 * The HTTP API of architecture §6 as a single `$default` route to the API function: routing, 404 and
 * 405 stay in `src/api`, exactly as in local mode, and the one route is IAM-authorized (SigV4), so
 * no unauthenticated path exists. Callers can still be restricted per method and path, because
 * `execute-api:Invoke` is evaluated against the request's own method and path.
 */
export function createControllerApi(scope: Construct, id: string, options: ControllerApiOptions) {
  const accessLogs = new LogGroup(scope, `${id}AccessLogs`, {
    retention: options.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const api = new HttpApi(scope, id, {
    description: 'InfraKit group API (IAM-authorized)',
    defaultIntegration: new HttpLambdaIntegration(`${id}Integration`, options.handler),
    defaultAuthorizer: new HttpIamAuthorizer(),
    createDefaultStage: false,
  });
  const stage = api.addStage('DefaultStage', {
    stageName: '$default',
    autoDeploy: true,
    throttle: { rateLimit: options.throttle.rateLimit, burstLimit: options.throttle.burstLimit },
    accessLogSettings: {
      destination: new LogGroupLogDestination(accessLogs),
      format: ACCESS_LOG_FORMAT,
    },
  });
  return { api, stage, accessLogs };
}
