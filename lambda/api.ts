import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type Api, createApi } from '../src/api/index.js';
import { awsRuntime } from '../src/runtime/aws.js';

let api: Api | undefined;

/** API Gateway HTTP API (payload 2.0) → the framework-free API of src/api. */
export const handler = async (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const runtime = awsRuntime();
  runtime.logger.addContext(context);
  api ??= createApi({
    store: runtime.store,
    engine: runtime.engine,
    providers: runtime.providers,
    flavors: runtime.flavors,
    requestReconcile: runtime.requestReconcile,
    log: runtime.log,
  });
  return api(event);
};
