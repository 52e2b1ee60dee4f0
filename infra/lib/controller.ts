import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Alarm, Dashboard, IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LaunchGuardrails } from '../../src/providers/ec2/guardrails.js';
import { METRICS_NAMESPACE } from '../../src/runtime/metric-names.js';
import { TABLE_KEY, TTL_ATTRIBUTE } from '../../src/store/table.js';
import { type HandlerName, handlerEntry } from './bundling.js';
import { restrictBusPublishers } from './bus-policy.js';
import { type HandlerLogLevel, handlerEnvironment } from './env.js';
import { createDeadLetterQueue, createHandlerFunction } from './functions.js';
import { grantScope, toPolicyStatement } from './grants.js';
import { type ApiThrottle, createControllerApi } from './http-api.js';
import { defaultControllerId } from './identity.js';
import {
  type InfraKitPluginProps,
  pluginStatements,
  pluginsEnvironment,
  validatePlugins,
} from './infrakit-plugins.js';
import { createMonitoring } from './monitoring.js';
import { acknowledgeControllerFindings } from './nag.js';
import { enabledPlugins } from './plugins.js';
import { rolePolicyErrors } from './policy-validation.js';
import { createControllerRules } from './rules.js';
import { validateControllerProps } from './validate-props.js';

/** Properties of {@link InfraKitController}. Every one is optional. */
export interface InfraKitControllerProps {
  /**
   * How often the scheduled sweep reconciles every group (the safety net behind the events).
   * A whole number of minutes.
   * @default Duration.minutes(1)
   */
  readonly sweepInterval?: Duration;
  /**
   * Timeout of the reconcile function; the sweep stops taking new groups before it runs out.
   * @default Duration.minutes(5)
   */
  readonly reconcileTimeout?: Duration;
  /**
   * Whether the table refuses to be deleted (by CloudFormation or anyone else).
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the table (specs, history, event log) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * ARNs of the IAM roles in the instance profiles your groups launch with; the controller may pass
   * exactly these to EC2 (`iam:PassRole`).
   * @default - none: no `iam:PassRole` permission, so groups cannot use an instance profile
   */
  readonly instanceRoleArns?: string[];
  /**
   * Log level of the handlers (Powertools `LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: HandlerLogLevel;
  /**
   * Retention of the functions' logs and the API's access logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Request limits of the API's default stage.
   * @default - 20 requests per second, bursts of 40
   */
  readonly apiThrottle?: ApiThrottle;
  /**
   * Actions (e.g. an SNS topic) for every alarm.
   * @default - none: the alarms only change state
   */
  readonly alarmActions?: IAlarmAction[];
  /**
   * Source files of the handlers, to replace any of them (e.g. a handler that registers an extra
   * provider). Each must export `handler`.
   * @default - the handlers in this package's `lambda/` folder
   */
  readonly handlerEntries?: Partial<Record<HandlerName, string>>;
  /**
   * The lock file of the app that deploys the controller (`package-lock.json`, `yarn.lock`,
   * `pnpm-lock.yaml`…), as `NodejsFunction` takes it: it tells which package manager runs esbuild,
   * and its directory is the project root, under which the handler entries must lie (this package in
   * `node_modules` is). Set it when the app has several lock files, or when synth runs outside the
   * app's folder or with this package linked from elsewhere (`npm link`).
   * @default - `NodejsFunction`'s default: the nearest lock file upwards from the working directory
   */
  readonly depsLockFilePath?: string;
  /**
   * This controller's identity: every instance it launches is tagged `infrakit.controller=<id>`, and
   * it observes and terminates only instances carrying exactly this value (IAM enforces it with
   * exact-value conditions). 1-128 letters, digits and `. _ : -`. Changing it on a deployed stack
   * orphans every instance launched under the old value, until they are retagged.
   * @default - `<stack name>-<construct path>-<hash>`: unique per stack, the same on every deploy
   */
  readonly controllerId?: string;
  /**
   * Limits on every launch, for the whole controller. The API refuses a spec that breaks one (400),
   * and they become IAM conditions on `ec2:RunInstances`, so a launch outside them fails even if a
   * spec slipped past: `vpcIds` → `ec2:Vpc` on subnets, security groups and network interfaces;
   * `imageOwners` → `ec2:Owner` on the image; `imageIds` → only those AMI ARNs; `requireImdsv2` →
   * `ec2:MetadataHttpTokens = required` on the instance; `requireEncryptedVolumes` →
   * `ec2:Encrypted = true` on every volume. Literal values only (no tokens).
   *
   * Whoever may PUT a spec (`execute-api:Invoke` on the API) may launch anything these allow: any
   * instance type and count, user data, and any of `instanceRoleArns`, in any subnet and AMI they
   * permit. Without guardrails, that is any AMI in any subnet of the account and region.
   * @default - none
   */
  readonly launchGuardrails?: LaunchGuardrails;
  /**
   * ELBv2 target groups that groups' `loadBalancers` may name: the reconcilers may register and
   * deregister targets in these only. Without it, only in target groups tagged
   * `infrakit.controller` with this controller's identity.
   * @default - target groups tagged with the controller's identity
   */
  readonly targetGroupArns?: readonly string[];
  /**
   * The provider plugins the functions serve (`src/plugins/catalog.ts`), by name: each gets the IAM
   * statements it declares, and the functions build exactly these. `process` runs in local mode
   * only; `infrakit` needs `plugins`.
   * @default - ['ec2'], and 'infrakit' too when `plugins` are given
   */
  readonly providers?: readonly string[];
  /**
   * The InfraKit plugins the `infrakit` provider reaches, by the name specs use
   * (`instance.properties.plugin`): Lambda functions (`{ name, function }`, invoked with the JSON-RPC
   * request as the payload) or HTTPS endpoints (`{ name, url, sigv4Service?, invokeArns?, ca? }`).
   * The reconcilers and the API may invoke exactly these functions (`lambda:InvokeFunction`) and
   * signed endpoints; the API only observes through them (`Instance.Validate` at PUT,
   * `Instance.DescribeInstances` for status), but an invocation cannot be limited to one method.
   * @default - none
   */
  readonly plugins?: readonly InfraKitPluginProps[];
}

/**
 * The whole controller: the table, the three functions, the schedule and event rules, the
 * IAM-authorized HTTP API, dead-letter queues, alarms and a dashboard (architecture §1).
 */
export class InfraKitController extends Construct {
  /** This controller's identity, the `infrakit.controller` tag value of every instance it launches. */
  public readonly controllerId: string;
  /** The single table of specs, history, group state, intents and events. */
  public readonly table: Table;
  /** The bus for the project's own events (spec changes, reconcile requests, sweep fan-out). */
  public readonly eventBus: EventBus;
  /** The handler functions, by name. */
  public readonly functions: Readonly<Record<HandlerName, NodejsFunction>>;
  /** Dead-letter queues of the asynchronously invoked functions. */
  public readonly deadLetterQueues: Readonly<{ reconcile: Queue; events: Queue }>;
  /** The HTTP API (IAM authorization on its only route). */
  public readonly httpApi: HttpApi;
  /** The API's default stage. */
  public readonly apiStage: HttpStage;
  /** The URL the CLI talks to (`infrakit --endpoint`). */
  public readonly apiUrl: string;
  /** Every alarm, for adding actions or composing. */
  public readonly alarms: readonly Alarm[];
  /** The CloudWatch dashboard. */
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: InfraKitControllerProps = {}) {
    super(scope, id);
    validateControllerProps(this.node.path, props);
    const sweepInterval = props.sweepInterval ?? Duration.minutes(1);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    this.controllerId = props.controllerId ?? defaultControllerId(this);
    const pluginProps = props.plugins ?? [];
    validatePlugins(this.node.path, pluginProps);
    const pluginsJson = pluginProps.length > 0 ? pluginsEnvironment(pluginProps) : undefined;
    const providerNames = props.providers ?? (pluginProps.length > 0 ? ['ec2', 'infrakit'] : ['ec2']);
    if (pluginProps.length > 0 && !providerNames.includes('infrakit'))
      throw new Error(
        `${this.node.path}: plugins are given but providers does not list infrakit, which reaches them`,
      );
    const plugins = enabledPlugins(this.node.path, providerNames, pluginProps.length > 0);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEY.partition, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEY.sort, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.eventBus = new EventBus(this, 'EventBus', { description: 'InfraKit events' });

    const environment = handlerEnvironment({
      tableName: this.table.tableName,
      eventBusName: this.eventBus.eventBusName,
      metricsNamespace: METRICS_NAMESPACE,
      logLevel: props.logLevel ?? 'INFO',
      controllerId: this.controllerId,
      launchGuardrails: props.launchGuardrails,
      providers: plugins.map((p) => p.name),
      plugins: pluginsJson,
    });
    const entry = (name: HandlerName) => props.handlerEntries?.[name] ?? handlerEntry(name);
    const depsLockFilePath = props.depsLockFilePath;
    const bundle = { infrakitPlugins: plugins.some((p) => p.name === 'infrakit') };
    this.deadLetterQueues = {
      reconcile: createDeadLetterQueue(this, 'ReconcileDeadLetterQueue'),
      events: createDeadLetterQueue(this, 'EventsDeadLetterQueue'),
    };
    this.functions = {
      api: createHandlerFunction(this, 'ApiFunction', {
        name: 'api',
        entry: entry('api'),
        description: 'InfraKit HTTP API (architecture §6)',
        memorySize: 1024,
        timeout: Duration.seconds(29),
        environment,
        logRetention,
        depsLockFilePath,
        bundle,
      }),
      reconcile: createHandlerFunction(this, 'ReconcileFunction', {
        name: 'reconcile',
        entry: entry('reconcile'),
        description: 'InfraKit scheduled sweep over all groups',
        memorySize: 1024,
        timeout: props.reconcileTimeout ?? Duration.minutes(5),
        environment,
        logRetention,
        depsLockFilePath,
        bundle,
        deadLetterQueue: this.deadLetterQueues.reconcile,
        // The next scheduled sweep is the retry; retrying a long sweep would only overlap it.
        retryAttempts: 0,
        maxEventAge: Duration.seconds(Math.max(60, sweepInterval.toSeconds())),
      }),
      events: createHandlerFunction(this, 'EventsFunction', {
        name: 'events',
        entry: entry('events'),
        description: 'InfraKit EC2, Health and project events: reconcile affected groups now',
        memorySize: 1024,
        timeout: Duration.minutes(2),
        environment,
        logRetention,
        depsLockFilePath,
        bundle,
        deadLetterQueue: this.deadLetterQueues.events,
        retryAttempts: 2,
      }),
    };

    for (const fn of Object.values(this.functions)) this.table.grantReadWriteData(fn);
    // Each enabled provider plugin names what it needs. Only the reconcilers launch and terminate;
    // the API stores specs and asks for reconciles (an event), and only observes (status, pretend
    // plans, admission checks).
    const grantsScope = grantScope(this, {
      controllerId: this.controllerId,
      instanceRoleArns: props.instanceRoleArns ?? [],
      guardrails: props.launchGuardrails,
      targetGroupArns: props.targetGroupArns,
    });
    for (const plugin of plugins) {
      const grants = plugin.grants?.(grantsScope);
      if (!grants) continue;
      for (const fn of [this.functions.reconcile, this.functions.events])
        for (const s of grants.control) fn.addToRolePolicy(toPolicyStatement(s));
      for (const s of grants.observe) this.functions.api.addToRolePolicy(toPolicyStatement(s));
    }
    // The InfraKit plugins: the reconcilers act through them, the API observes through them.
    for (const s of pluginStatements(pluginProps))
      for (const fn of Object.values(this.functions)) fn.addToRolePolicy(s);
    // Publishers only: the API announces spec changes and reconcile requests, the sweep fans out,
    // and both reconcilers (the sweep and the events function) announce lifecycle hooks
    // (`Instance Terminating`). The bus itself refuses every other publisher.
    const publishers = [this.functions.api, this.functions.reconcile, this.functions.events];
    for (const fn of publishers) this.eventBus.grantPutEventsTo(fn);
    restrictBusPublishers(this.eventBus, publishers.map(roleOf));

    createControllerRules(this, {
      sweepInterval,
      reconcile: this.functions.reconcile,
      reconcileDeadLetterQueue: this.deadLetterQueues.reconcile,
      events: this.functions.events,
      eventsDeadLetterQueue: this.deadLetterQueues.events,
      projectBus: this.eventBus,
    });

    const api = createControllerApi(this, 'HttpApi', {
      handler: this.functions.api,
      throttle: props.apiThrottle ?? { rateLimit: 20, burstLimit: 40 },
      logRetention,
    });
    this.httpApi = api.api;
    this.apiStage = api.stage;
    this.apiUrl = api.stage.url;

    const monitoring = createMonitoring(this, {
      functions: this.functions,
      deadLetterQueues: this.deadLetterQueues,
      api: this.httpApi,
      metricsNamespace: METRICS_NAMESPACE,
      alarmActions: props.alarmActions ?? [],
    });
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;

    acknowledgeControllerFindings(this);
    // Every synth of every app using the construct re-checks the roles' final policies.
    const roles = Object.values(this.functions).map(roleOf);
    this.node.addValidation({ validate: () => rolePolicyErrors(roles) });
  }
}

/** A handler function's execution role (always created by `NodejsFunction` here). */
function roleOf(fn: NodejsFunction): IRole {
  if (fn.role === undefined) throw new Error(`${fn.node.path} has no execution role`);
  return fn.role;
}
