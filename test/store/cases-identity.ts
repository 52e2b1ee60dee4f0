import { expect, it } from 'vitest';
import { ensureControllerIdentity } from '../../src/store/identity.js';
import type { StoreFixture } from './fixture.js';

/** The controller identity a table carries (local mode's `infrakit.controller`). */
export function identityCases(fx: StoreFixture): void {
  it('keeps the first identity written, even when many controllers start on one table at once', async () => {
    const { tableName } = await fx.table();
    const proposals = Array.from({ length: 8 }, (_, i) => `local-${i}`);
    const answers = await Promise.all(
      proposals.map((id) => ensureControllerIdentity(fx.rawClient(), tableName, id)),
    );
    expect(new Set(answers).size).toBe(1);
    expect(proposals).toContain(answers[0]);
    // A restart proposes a new one and gets the table's.
    expect(await ensureControllerIdentity(fx.rawClient(), tableName, 'local-after-restart')).toBe(answers[0]);
  });

  it('gives two tables two identities, and leaves the group listing alone', async () => {
    const a = await fx.table();
    const b = await fx.table();
    expect(await ensureControllerIdentity(fx.rawClient(), a.tableName, 'local-a')).toBe('local-a');
    expect(await ensureControllerIdentity(fx.rawClient(), b.tableName, 'local-b')).toBe('local-b');
    expect((await a.store.listGroups()).items).toEqual([]);
  });
}
