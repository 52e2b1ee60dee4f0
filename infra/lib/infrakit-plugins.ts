import { Token } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ConfiguredPlugin, ConfiguredPluginsSchema } from '../../src/providers/infrakit/endpoints.js';

/**
 * The construct's `plugins` prop: the InfraKit plugins a deployed controller reaches (the
 * `infrakit` provider), what the functions are told of them (`INFRAKIT_PLUGINS`), and what they
 * may invoke: `lambda:InvokeFunction` on exactly the named functions, and, for a signed HTTPS
 * plugin, `execute-api:Invoke` or `lambda:InvokeFunctionUrl` on exactly the ARNs given.
 */

interface PluginBase {
  /** How specs name it: `instance.properties.plugin: <name>` (or `<name>/<object>`). */
  readonly name: string;
  /**
   * The named objects it serves (`Handshake.Hello`), for specs naming `<name>/<object>`.
   * @default - its only, unnamed object: specs name it `<name>`
   */
  readonly objects?: readonly string[];
}

/** A plugin that is an AWS Lambda function: the JSON-RPC request is the invocation payload. */
export interface LambdaPluginProps extends PluginBase {
  readonly function: IFunction;
}

/** A plugin at an HTTPS endpoint (API Gateway, a Lambda function URL, anything speaking JSON-RPC). */
export interface HttpsPluginProps extends PluginBase {
  /** `https://…`; a deployed controller sends nothing over plain HTTP. */
  readonly url: string;
  /**
   * Sign requests with SigV4 for this service: `execute-api` for API Gateway with IAM auth,
   * `lambda` for a function URL with `AWS_IAM` auth.
   * @default - unsigned
   */
  readonly sigv4Service?: string;
  /**
   * What the signed requests may invoke: API ARNs (`arn:aws:execute-api:region:account:api-id/stage/POST/*`)
   * for `execute-api`, function ARNs for `lambda`. Granted to the functions exactly as given.
   * @default - none: the endpoint's own resource policy must allow the functions' roles
   */
  readonly invokeArns?: readonly string[];
  /**
   * PEM certificates of a private CA the endpoint's certificate chains to, trusted besides the
   * system's.
   * @default - the system's CAs only
   */
  readonly ca?: string;
}

export type InfraKitPluginProps = LambdaPluginProps | HttpsPluginProps;

function isLambda(plugin: InfraKitPluginProps): plugin is LambdaPluginProps {
  return 'function' in plugin && plugin.function !== undefined;
}

/** A stand-in function ARN for checking a plugin whose function ARN is a token at synth. */
const PLACEHOLDER_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:placeholder';

function configured(plugin: InfraKitPluginProps, synth: boolean): ConfiguredPlugin {
  const objects = plugin.objects ? { objects: [...plugin.objects] } : {};
  if (isLambda(plugin)) {
    const arn = plugin.function.functionArn;
    return {
      name: plugin.name,
      address: `lambda:${synth && Token.isUnresolved(arn) ? PLACEHOLDER_ARN : arn}`,
      ...objects,
    };
  }
  return {
    name: plugin.name,
    address: plugin.url,
    ...(plugin.sigv4Service !== undefined ? { sigv4Service: plugin.sigv4Service } : {}),
    ...(plugin.ca !== undefined ? { ca: plugin.ca } : {}),
    ...objects,
  };
}

/** Throws, naming the prop, when `plugins` would not be read back by the functions. */
export function validatePlugins(path: string, plugins: readonly InfraKitPluginProps[]): void {
  for (const [i, plugin] of plugins.entries()) {
    const both = 'function' in plugin && 'url' in plugin;
    if (both) throw new Error(`${path}: plugins[${i}]: give either function or url, not both`);
    if (!isLambda(plugin) && Token.isUnresolved(plugin.url))
      throw new Error(`${path}: plugins[${i}].url must be a literal https:// URL (not a token)`);
    if (!isLambda(plugin) && plugin.invokeArns?.length && plugin.sigv4Service === undefined)
      throw new Error(
        `${path}: plugins[${i}].invokeArns needs sigv4Service (unsigned requests carry no identity)`,
      );
  }
  const parsed = ConfiguredPluginsSchema.safeParse(plugins.map((p) => configured(p, true)));
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    const [index, ...field] = first?.path ?? [];
    const prop =
      field[0] === 'address' &&
      plugins[Number(index)] &&
      !isLambda(plugins[Number(index)] as InfraKitPluginProps)
        ? 'url'
        : field.join('.');
    throw new Error(
      `${path}: plugins[${String(index)}]${prop ? `.${prop}` : ''}: ${first?.message ?? 'invalid'}`,
    );
  }
}

/** `INFRAKIT_PLUGINS` for the functions: the list as JSON (function ARNs resolve at deploy). */
export function pluginsEnvironment(plugins: readonly InfraKitPluginProps[]): string {
  return JSON.stringify(plugins.map((p) => configured(p, false)));
}

/**
 * What the functions that reach plugins may invoke, each statement on exactly the named resources
 * (never a wildcard): the plugin functions, and the signed endpoints' ARNs.
 */
export function pluginStatements(plugins: readonly InfraKitPluginProps[]): PolicyStatement[] {
  const signed = (service: string) =>
    plugins.flatMap((p) => (!isLambda(p) && p.sigv4Service === service ? [...(p.invokeArns ?? [])] : []));
  const grants: readonly [sid: string, action: string, resources: string[]][] = [
    [
      'InvokeNamedPluginFunctions',
      'lambda:InvokeFunction',
      plugins.filter(isLambda).map((p) => p.function.functionArn),
    ],
    ['InvokeNamedPluginApis', 'execute-api:Invoke', signed('execute-api')],
    ['InvokeNamedPluginFunctionUrls', 'lambda:InvokeFunctionUrl', signed('lambda')],
  ];
  return grants
    .filter(([, , resources]) => resources.length > 0)
    .map(
      ([sid, action, resources]) =>
        new PolicyStatement({ sid, effect: Effect.ALLOW, actions: [action], resources }),
    );
}
