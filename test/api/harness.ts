import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { type Api, createApi } from '../../src/api/index.js';
import type { FlavorRegistry } from '../../src/flavors/types.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { ProcessProvider } from '../../src/providers/process/index.js';
import type { InstanceProvider, ProviderRegistry } from '../../src/providers/types.js';
import { createEngine } from '../../src/reconcile/index.js';
import type { Engine } from '../../src/reconcile/types.js';
import { canonicalJson } from '../../src/spec/hash.js';
import { DynamoGroupStore } from '../../src/store/index.js';
import type { GroupStore } from '../../src/store/types.js';
import { type DynamoTestServer, startDynalite } from '../helpers/dynalite.js';
import { FakeProvider, TEST_CONTROLLER_ID } from '../helpers/fake-provider.js';

/** One API over dynalite and the fake provider, recording reconcile requests. */
export interface ApiHarness {
  readonly api: Api;
  readonly store: DynamoGroupStore;
  readonly engine: Engine;
  readonly provider: FakeProvider;
  readonly reconcileRequests: {
    groupIds: readonly string[];
    reason: string;
    options?: { readonly retryRejected?: boolean } | undefined;
  }[];
  /** Every item of the table, canonically sorted (to compare before and after a request). */
  scan(): Promise<string>;
}

export async function startServer(): Promise<DynamoTestServer> {
  return startDynalite();
}

export interface HarnessOptions {
  /** Wraps the store the API uses (not the engine's), e.g. to land a write inside a request. */
  readonly apiStore?: (store: GroupStore) => GroupStore;
  /** Runs `POST …/reconcile` in the request, as local mode does. @default true */
  readonly inlineReconcile?: boolean;
}

export async function createHarness(
  server: DynamoTestServer,
  options: HarnessOptions = {},
): Promise<ApiHarness> {
  const client = server.client();
  const tableName = await server.newTable('api');
  const store = new DynamoGroupStore({ client, tableName });
  const provider = new FakeProvider({ name: 'fake', interleave: false });
  // The process provider is registered for its strict `validate` only; nothing here launches with it.
  const validator = new ProcessProvider({ dataDir: join(tmpdir(), 'infrakit-api-test-unused') });
  const providers: ProviderRegistry = new Map<string, InstanceProvider>([
    ['fake', provider],
    ['process', validator],
  ]);
  const flavors: FlavorRegistry = new Map([['vanilla', vanillaFlavor]]);
  const engine = createEngine({
    store,
    providers,
    flavors,
    owner: 'api-test',
    controllerId: TEST_CONTROLLER_ID,
  });
  const reconcileRequests: ApiHarness['reconcileRequests'] = [];
  const api = createApi({
    store: options.apiStore ? options.apiStore(store) : store,
    engine,
    providers,
    flavors,
    requestReconcile: async (groupIds, reason, requestOptions) => {
      reconcileRequests.push({ groupIds, reason, ...(requestOptions ? { options: requestOptions } : {}) });
    },
    inlineReconcile: options.inlineReconcile ?? true,
  });
  return {
    api,
    store,
    engine,
    provider,
    reconcileRequests,
    async scan() {
      const items: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await client.send(
          new ScanCommand({
            TableName: tableName,
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start as never } : {}),
          }),
        );
        for (const item of out.Items ?? []) items.push(canonicalJson(item));
        start = out.LastEvaluatedKey;
      } while (start);
      return items.sort().join('\n');
    },
  };
}

/** A valid cattle spec on the fake provider. */
export function cattle(id: string, size = 2, extra: Record<string, unknown> = {}) {
  return { id, allocation: { size }, instance: { provider: 'fake', properties: {} }, ...extra };
}
