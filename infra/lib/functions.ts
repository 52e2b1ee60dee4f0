import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type BundleOptions, HANDLER_RUNTIME, type HandlerName, nodejsBundling } from './bundling.js';

/** How one handler function is sized and invoked. */
export interface HandlerFunctionOptions {
  readonly name: HandlerName;
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** Asynchronously invoked functions get a dead-letter queue for events that failed every retry. */
  readonly deadLetterQueue?: IQueue;
  /** Retries of a failed asynchronous invocation (Lambda's default is 2). */
  readonly retryAttempts?: number;
  /** How long an asynchronous event may wait (throttled or retrying) before it is dropped to the DLQ. */
  readonly maxEventAge?: Duration;
  /**
   * The app's lock file; its directory is the `NodejsFunction` project root, under which the entry
   * must be. Undefined lets `NodejsFunction` look for one upwards from the working directory.
   */
  readonly depsLockFilePath?: string;
  /** What the bundle carries beyond the default (the `infrakit` provider of a stack with plugins). */
  readonly bundle?: BundleOptions;
}

/**
 * A handler from `lambda/` as an arm64 `NodejsFunction` built by the local esbuild, with its own log
 * group (so retention is set and the group goes away with the stack).
 */
export function createHandlerFunction(scope: Construct, id: string, options: HandlerFunctionOptions) {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: options.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return new NodejsFunction(scope, id, {
    entry: options.entry,
    handler: 'handler',
    description: options.description,
    runtime: HANDLER_RUNTIME,
    architecture: Architecture.ARM_64,
    memorySize: options.memorySize,
    timeout: options.timeout,
    environment: options.environment,
    depsLockFilePath: options.depsLockFilePath,
    bundling: nodejsBundling({ ...options.bundle, handler: options.name }),
    logGroup,
    deadLetterQueueEnabled: options.deadLetterQueue !== undefined,
    deadLetterQueue: options.deadLetterQueue,
    retryAttempts: options.retryAttempts,
    maxEventAge: options.maxEventAge,
  });
}

/** An SQS dead-letter queue: encrypted at rest (SSE-SQS), TLS-only, kept the maximum 14 days. */
export function createDeadLetterQueue(scope: Construct, id: string): Queue {
  return new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
