import { describe, expect, it } from 'vitest';
import { Reporter } from '../../src/local/reporter.js';
import { refusedPlan } from '../../src/plan/index.js';
import type { Plan } from '../../src/plan/types.js';
import type { Engine } from '../../src/reconcile/types.js';
import type { GroupStore } from '../../src/store/types.js';

/** What local mode prints for the result of a pass. */
describe('local reporter', () => {
  const lines: string[] = [];
  // `result` reads neither: it prints from the pass's own result.
  const reporter = new Reporter({ engine: {} as Engine, store: {} as GroupStore }, (l) => lines.push(l));
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
});
