import { describe, expect, it } from 'vitest';
import { formatGroup } from '../../src/cli/format.js';
import type { GroupView, InstanceView } from '../../src/cli/views.js';

/** `infrakit group get`'s instance table: the target-health and hook columns appear only when some instance has them. */

const instance = (id: string, extra: Partial<InstanceView> = {}): InstanceView => ({
  id,
  configHash: 'abc',
  state: 'running',
  launchedAt: 1_700_000_000_000,
  health: 'healthy',
  healthSince: 1_700_000_000_000,
  protected: false,
  ...extra,
});

const group = (instances: InstanceView[]): GroupView =>
  ({
    id: 'web',
    version: 1,
    etag: '"1"',
    updatedAt: 1_700_000_000_000,
    lifecycle: 'active',
    spec: {
      id: 'web',
      allocation: { size: instances.length },
      instance: { provider: 'ec2', properties: {} },
    },
    status: { lifecycle: 'active', instances, converged: false, holds: [] },
  }) as unknown as GroupView;

const arn = (name: string) =>
  `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/0123456789abcdef`;

describe('group get: target health and lifecycle hook columns', () => {
  it('shows each member in its target groups, with the reason, and a waiting launching hook', () => {
    const out = formatGroup(
      group([
        instance('i-1', {
          targets: [
            { targetGroupArn: arn('a'), state: 'healthy' },
            { targetGroupArn: arn('b'), state: 'unhealthy', reason: 'Target.FailedHealthChecks' },
          ],
        }),
        instance('i-2', { launching: {} }),
      ]),
    );
    const [header, first, second] = out
      .split('\n')
      .filter((l) => l.startsWith('INSTANCE') || l.startsWith('i-'));
    expect(header).toMatch(/TARGETS\s+HOOK$/);
    expect(first).toContain('healthy, unhealthy (Target.FailedHealthChecks)');
    expect(second).toMatch(/\s-\s+launching$/);
  });

  it('shows neither column for a group without load balancers or hooks', () => {
    const out = formatGroup(group([instance('i-1')]));
    expect(out).not.toMatch(/TARGETS|HOOK/);
  });
});
