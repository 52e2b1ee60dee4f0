import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll } from 'vitest';
import { ensureTable } from '../../src/store/table.js';

export interface DynamoTestServer {
  readonly endpoint: string;
  /** A fresh client pointed at the server (dummy credentials, never a real AWS endpoint). */
  client(): DynamoDBClient;
  /** Creates a table with the project's key schema under a unique name and returns the name. */
  newTable(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

let tableCounter = 0;

export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
  });
}

function serverFor(endpoint: string, stop: () => Promise<void>): DynamoTestServer {
  const admin = dynamoClient(endpoint);
  return {
    endpoint,
    client: () => dynamoClient(endpoint),
    async newTable(prefix = 'infrakit') {
      tableCounter += 1;
      const name = `${prefix}-${process.pid}-${tableCounter}-${Date.now().toString(36)}`;
      await ensureTable(admin, name);
      return name;
    },
    async stop() {
      admin.destroy();
      await stop();
    },
  };
}

/** In-process dynalite on a free loopback port (in memory unless `path` is given). */
export async function startDynalite(path?: string): Promise<DynamoTestServer> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path ? { path } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return serverFor(`http://127.0.0.1:${port}`, () => new Promise<void>((r) => server.close(() => r())));
}

/** A DynamoDB test server backed by an already running moto server. */
export function motoDynamo(endpoint: string): DynamoTestServer {
  return serverFor(endpoint, async () => {});
}

/**
 * One in-process dynalite for the calling test file: started before its tests, stopped after.
 * Returns an accessor, valid inside tests and hooks.
 */
export function useDynalite(): () => DynamoTestServer {
  let server: DynamoTestServer | undefined;
  beforeAll(async () => {
    server = await startDynalite();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('dynalite is not started: call the accessor inside a test or hook');
    return server;
  };
}
