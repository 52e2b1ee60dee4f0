import { ECSClient } from '@aws-sdk/client-ecs';
import { answer, type RpcAnswer, type RpcMethod } from './rpc.js';
import { ecsTaskMethods } from './tasks.js';

/**
 * The Lambda function of the ECS task plugin: the invocation's event is the JSON-RPC request the
 * controller sends, the return value its answer (a failure is a JSON-RPC error, never a thrown
 * error, so the controller reads the plugin's own words). `ECS_CLUSTER` names the cluster; region
 * and credentials come from the function's environment.
 */

let methods: Record<string, RpcMethod> | undefined;

export const handler = async (event: unknown): Promise<RpcAnswer> => {
  const cluster = process.env.ECS_CLUSTER;
  if (!cluster) throw new Error('ECS_CLUSTER is not set');
  methods ??= ecsTaskMethods({ client: new ECSClient({}), cluster });
  return answer(methods, event);
};

/** Forgets the client built from the environment (tests that change it). */
export function resetHandler(): void {
  methods = undefined;
}
