import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { startDynalite } from '../helpers/dynalite.js';
import { motoAvailable, startMoto } from '../helpers/moto.js';

describe('test servers', () => {
  it('dynalite creates a table with the project key schema', async () => {
    const srv = await startDynalite();
    const name = await srv.newTable();
    const { TableNames } = await srv.client().send(new ListTablesCommand({}));
    expect(TableNames).toContain(name);
    await srv.stop();
  });
  it.runIf(motoAvailable())('moto server starts and resets', async () => {
    const moto = await startMoto();
    await moto.reset();
    await moto.stop();
  });
});
