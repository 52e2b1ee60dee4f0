import type {
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ClientConfig,
  TargetDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { abortable } from '../../abort.js';
import { TargetGroupNotFoundError } from '../../errors.js';
import { type Deferred, onFirstUse, resolveDeferred } from '../../lazy.js';
import type { CallOptions, TargetGroups, TargetHealth, TargetState } from '../types.js';
import { CallCounter } from './api.js';
import { awsErrorCode, describeAwsError, toProviderError } from './errors.js';

/** The ELBv2 SDK module, imported on first use (most invocations never call it). */
const loadElbv2Sdk = onFirstUse(() => import('@aws-sdk/client-elastic-load-balancing-v2'));

export type Elbv2Sender = Pick<ElasticLoadBalancingV2Client, 'send'>;
export type Elbv2ClientSource = Deferred<Elbv2Sender>;

/** An ELBv2 client built with `config` the first time it is needed, then kept. */
export function lazyElbv2Client(config: ElasticLoadBalancingV2ClientConfig): () => Promise<Elbv2Sender> {
  return onFirstUse(async () => new (await loadElbv2Sdk()).ElasticLoadBalancingV2Client(config));
}

const KNOWN_STATES: ReadonlySet<string> = new Set<TargetState>([
  'initial',
  'healthy',
  'unhealthy',
  'unused',
  'draining',
  'unavailable',
]);

/** ELBv2's answer for one target; a target reported `unused` as `Target.NotRegistered` is `absent`. */
function stateOf(state: string | undefined, reason: string | undefined): TargetState {
  if (reason === 'Target.NotRegistered') return 'absent';
  return state && KNOWN_STATES.has(state) ? (state as TargetState) : 'unavailable';
}

/**
 * ELBv2 target groups (`@aws-sdk/client-elastic-load-balancing-v2`): the load balancers of the
 * `ec2` provider. Four operations, each counted (the bench's API-calls figure) and retried by the
 * SDK's own standard retry; errors are classified like EC2's (`toProviderError`).
 */
export class Elbv2TargetGroups implements TargetGroups {
  /** ELBv2 requests sent, by operation. */
  readonly calls = new CallCounter();
  private readonly client: Elbv2ClientSource;

  constructor(client: Elbv2ClientSource) {
    this.client = client;
  }

  private async send<O>(
    operation: string,
    targetGroupArn: string,
    options: CallOptions | undefined,
    run: (
      client: Elbv2Sender,
      sdk: typeof import('@aws-sdk/client-elastic-load-balancing-v2'),
      http: { abortSignal?: AbortSignal },
    ) => Promise<O>,
  ): Promise<O> {
    const signal = options?.signal;
    signal?.throwIfAborted();
    const [client, sdk] = await abortable(
      Promise.all([resolveDeferred(this.client), loadElbv2Sdk()]),
      signal,
    );
    this.calls.record(operation);
    try {
      return await run(client, sdk, signal ? { abortSignal: signal } : {});
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      // Named, so that the engine goes on without it (a target group deleted under a drain).
      if (awsErrorCode(err) === 'TargetGroupNotFound')
        throw new TargetGroupNotFoundError(targetGroupArn, `elbv2 ${operation}: ${describeAwsError(err)}`, {
          cause: err,
        });
      throw toProviderError(err, `elbv2 ${operation}`);
    }
  }

  async targets(targetGroupArn: string, options?: CallOptions): Promise<readonly TargetHealth[]> {
    const out = await this.send('DescribeTargetHealth', targetGroupArn, options, (c, sdk, http) =>
      c.send(new sdk.DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }), http),
    );
    const targets: TargetHealth[] = [];
    for (const d of out.TargetHealthDescriptions ?? []) {
      const id = d.Target?.Id;
      if (!id) continue;
      const reason = d.TargetHealth?.Reason;
      const state = stateOf(d.TargetHealth?.State, reason);
      if (state !== 'absent') targets.push({ id, state, ...(reason ? { reason } : {}) });
    }
    return targets;
  }

  async register(
    targetGroupArn: string,
    ids: readonly string[],
    port?: number,
    options?: CallOptions,
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.send('RegisterTargets', targetGroupArn, options, (c, sdk, http) =>
      c.send(
        new sdk.RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: descriptions(ids, port) }),
        http,
      ),
    );
  }

  async deregister(
    targetGroupArn: string,
    ids: readonly string[],
    port?: number,
    options?: CallOptions,
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.send('DeregisterTargets', targetGroupArn, options, (c, sdk, http) =>
      c.send(
        new sdk.DeregisterTargetsCommand({
          TargetGroupArn: targetGroupArn,
          Targets: descriptions(ids, port),
        }),
        http,
      ),
    );
  }

  async deregistrationDelaySeconds(targetGroupArn: string, options?: CallOptions): Promise<number> {
    const out = await this.send('DescribeTargetGroupAttributes', targetGroupArn, options, (c, sdk, http) =>
      c.send(new sdk.DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }), http),
    );
    const value = out.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
    const seconds = Number(value);
    // ELBv2's documented default when the attribute is not reported.
    return value !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds : 300;
  }
}

function descriptions(ids: readonly string[], port: number | undefined): TargetDescription[] {
  return ids.map((id) => (port === undefined ? { Id: id } : { Id: id, Port: port }));
}
