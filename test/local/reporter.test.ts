import { describe, expect, it } from 'vitest';
import { Reporter } from '../../src/local/reporter.js';
import { refusedPlan } from '../../src/plan/index.js';
import type { Plan } from '../../src/plan/types.js';
import { validateSpec } from '../../src/spec/validate.js';
import type { GroupRecord, GroupStore } from '../../src/store/types.js';

/** What local mode prints for the result of a pass. */
describe('local reporter', () => {
  const lines: string[] = [];
  // `result` reads neither: it prints from the pass's own result.
  const reporter = new Reporter({ store: {} as GroupStore }, (l) => lines.push(l));
  const plan = (actions: Plan['actions']): Plan => ({ ...refusedPlan(''), actions });

  it('prints each planned action with its reason, and launches that finished an earlier pass', () => {
    lines.length = 0;
    reporter.result(
      {
        groupId: 'web',
        outcome: 'acted',
        launched: 3,
        terminated: 1,
        plan: plan([
          { kind: 'terminate', ids: ['p-1'], reason: 'unhealthy' },
          { kind: 'launch', count: 1, reason: 'replace' },
        ]),
      },
      ['sweep'],
    );
    expect(lines.map((l) => l.slice(l.indexOf('  ') + 2))).toEqual([
      'web  terminate p-1 (unhealthy) [sweep]',
      'web  launch 1 (replace) [sweep]',
      'web  launch 2 (unfinished launch resumed) [sweep]',
    ]);
  });

  it('prints nothing extra when the pass launched what it planned', () => {
    lines.length = 0;
    reporter.result({
      groupId: 'web',
      outcome: 'acted',
      launched: 2,
      terminated: 0,
      plan: plan([{ kind: 'launch', count: 2, reason: 'scale-up' }]),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/web {2}launch 2 \(scale-up\)$/);
  });

  it('prints status lines from the passes’ own status, once per change, and describes nothing', async () => {
    const spec = validateSpec({ id: 'web', allocation: { size: 2 }, instance: { provider: 'process' } });
    const record: GroupRecord = {
      id: 'web',
      spec,
      version: 1,
      etag: '"1"',
      updatedAt: 0,
      lifecycle: 'active',
      state: { revision: 1, openIntents: [], healthSince: {}, retiring: {}, lifecycleDone: {} },
    };
    const groups = new Map([['web', record]]);
    const store = { getGroup: async (id: string) => groups.get(id) } as unknown as GroupStore;
    const printed: string[] = [];
    // No engine at all: a line never costs a describe.
    const shows = new Reporter({ store }, (l) => printed.push(l.slice(l.indexOf('  ') + 2)));
    const status = { instances: [], converged: false, blocked: 'paused', holds: [] };
    await shows.show([{ groupId: 'web', status }]);
    await shows.show([{ groupId: 'web', status }]);
    // A pass that acted brings no status: its follow-up pass will.
    await shows.show([{ groupId: 'web' }]);
    expect(printed).toEqual(['web  desired 2  running 0  healthy 0  updating 0  blocked: paused']);
    groups.delete('web');
    await shows.show([{ groupId: 'web' }]);
    expect(printed.at(-1)).toBe('web  gone');
  });
});
