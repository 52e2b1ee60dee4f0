import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type Api, createApi } from '../src/api/index.js';
import { type AwsRuntime, awsRuntime } from '../src/runtime/aws.js';

/** The API over the runtime it was built from, rebuilt when the runtime is (`resetAwsRuntime`). */
let built: { readonly runtime: AwsRuntime; readonly api: Api } | undefined;

/** API Gateway HTTP API (payload 2.0) → the framework-free API of src/api. */
export const handler = async (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const runtime = await awsRuntime();
  runtime.logger.addContext(context);
  if (built?.runtime !== runtime) {
    const api = createApi({
      store: runtime.store,
      engine: runtime.engine,
      providers: runtime.providers,
      flavors: runtime.flavors,
      requestReconcile: runtime.requestReconcile,
      controllerId: runtime.controllerId,
      log: runtime.log,
    });
    built = { runtime, api };
  }
  return built.api(event);
};
