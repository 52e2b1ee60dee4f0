import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoTestServer, startDynalite } from '../helpers/dynalite.js';
import { type MotoServer, motoAvailable, startMoto } from '../helpers/moto.js';
import { runPetsTrial } from './pets-trial.js';

/**
 * The pets' crash-injection trial (`pets-trial.ts`) at a count `npm test` can afford; `npm run
 * bench pets` runs 100 replacements. Crashes are injected at a high rate here so that a few
 * replacements still cross many crash points.
 */
describe.runIf(motoAvailable())('pets under crash injection on moto', () => {
  let moto: MotoServer;
  let dynamo: DynamoTestServer;
  beforeAll(async () => {
    [moto, dynamo] = await Promise.all([startMoto(), startDynalite()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([moto?.stop(), dynamo?.stop()]);
  });

  it('8 replacements: no duplicate volume, no orphaned attachment, no volume lost, no intent left open', async () => {
    const v = await runPetsTrial(moto.endpoint, dynamo, { replacements: 8, seed: 0x9e75, crashRate: 0.35 });
    expect(v).toMatchObject({
      duplicateVolumes: 0,
      lostVolumes: 0,
      orphanedAttachments: 0,
      interfaceOrAddressFaults: 0,
      openIntents: 0,
    });
    // The trial proves something only if crashes did land, of every kind.
    expect(v.crashes.beforeCall).toBeGreaterThan(0);
    expect(v.crashes.afterCall).toBeGreaterThan(0);
  }, 300_000);
});
