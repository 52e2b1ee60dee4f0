import { afterAll, beforeAll, describe } from 'vitest';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { identityCases } from './cases-identity.js';
import { leaseCases } from './cases-lease.js';
import { logCases } from './cases-log.js';
import { recordCases } from './cases-record.js';
import { specCases } from './cases-specs.js';
import { fixtureFor } from './fixture.js';

/**
 * The store contract suite, run against every DynamoDB emulator. Each test gets its own table, so
 * tests stay independent (vitest shuffles them). Conditions are proven with real racing requests
 * from separate clients, never with SDK mocks.
 */
export function storeSuite(
  name: string,
  start: () => Promise<DynamoTestServer>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(name, () => {
    let server: DynamoTestServer | undefined;
    const fx = fixtureFor(() => {
      if (!server) throw new Error('test server not started');
      return server;
    });
    beforeAll(async () => {
      server = await start();
    });
    afterAll(async () => {
      fx.close();
      await server?.stop();
    });
    describe('specs and history', () => specCases(fx));
    describe('lease, state and intents', () => leaseCases(fx));
    describe('listing, stats, events and instance index', () => logCases(fx));
    describe('controller identity', () => identityCases(fx));
    describe('lock-free state records', () => recordCases(fx));
  });
}
