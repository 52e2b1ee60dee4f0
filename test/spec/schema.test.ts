import { describe, expect, it } from 'vitest';
import { SpecValidationError } from '../../src/errors.js';
import { validateSpec } from '../../src/spec/index.js';

const base = {
  id: 'web',
  allocation: { size: 3 },
  instance: { provider: 'process', properties: { command: 'sleep' } },
};

function issuesOf(value: unknown): { path: string; message: string }[] {
  try {
    validateSpec(value);
  } catch (err) {
    if (err instanceof SpecValidationError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('group spec schema', () => {
  it('fills in every default of architecture §4', () => {
    // Act
    const spec = validateSpec(base);
    // Assess
    expect(spec.flavor).toEqual({ kind: 'vanilla', properties: {} });
    expect(spec.health).toEqual({
      gracePeriodSeconds: 300,
      unhealthyTimeoutSeconds: 120,
      maxUnhealthyPercent: 40,
      replaceOnRebalance: false,
      remediation: ['replace'],
      retainForForensics: false,
    });
    expect(spec.update).toEqual({
      maxSurge: 1,
      maxUnavailable: 0,
      minHealthySeconds: 0,
      progressDeadlineSeconds: 600,
      maxFailedReplacements: 3,
      autoRollback: true,
      paused: false,
      canary: 0,
    });
    expect(spec.paused).toBe(false);
  });

  it.each([
    {
      desc: 'replace before reboot',
      health: { remediation: ['replace', 'reboot'] },
      message: 'replace must be the last step',
    },
    {
      desc: 'a step twice',
      health: { remediation: ['reboot', 'reboot'] },
      message: 'each step at most once',
    },
    { desc: 'an unknown step', health: { remediation: ['restart'] }, message: 'Invalid option' },
    {
      desc: 'a window of 0 s',
      health: { maxReplacementsPerWindow: { count: 1, windowSeconds: 0 } },
      message: '>=1',
    },
  ])('refuses a remediation policy with $desc, naming the field', ({ health, message }) => {
    const err = (() => {
      try {
        validateSpec({ ...base, health });
      } catch (e) {
        return e as { issues?: { path: string; message: string }[] };
      }
      return undefined;
    })();
    expect(err?.issues?.[0]?.path).toMatch(/^health\.(remediation|maxReplacementsPerWindow)/);
    expect(err?.issues?.[0]?.message).toContain(message);
  });

  it('accepts size 0 and a pets allocation', () => {
    expect(validateSpec({ ...base, allocation: { size: 0 } }).allocation.size).toBe(0);
    expect(
      validateSpec({ ...base, allocation: { logicalIds: ['zk1', '10.0.1.5'] } }).allocation.logicalIds,
    ).toEqual(['zk1', '10.0.1.5']);
  });

  it.each([
    { desc: 'a bad id', value: { ...base, id: 'Web_1' }, path: 'id' },
    { desc: 'an id that is too long', value: { ...base, id: `a${'b'.repeat(63)}` }, path: 'id' },
    {
      desc: 'both size and logicalIds',
      value: { ...base, allocation: { size: 1, logicalIds: ['a'] } },
      path: 'allocation',
    },
    { desc: 'neither size nor logicalIds', value: { ...base, allocation: {} }, path: 'allocation' },
    { desc: 'a negative size', value: { ...base, allocation: { size: -1 } }, path: 'allocation.size' },
    { desc: 'a fractional size', value: { ...base, allocation: { size: 1.5 } }, path: 'allocation.size' },
    { desc: 'a huge size', value: { ...base, allocation: { size: 1e9 } }, path: 'allocation.size' },
    {
      desc: 'a duplicate logical ID',
      value: { ...base, allocation: { logicalIds: ['a', 'b', 'a'] } },
      path: 'allocation.logicalIds.2',
    },
    {
      desc: 'an empty logical ID',
      value: { ...base, allocation: { logicalIds: [''] } },
      path: 'allocation.logicalIds.0',
    },
    { desc: 'an unknown top-level key', value: { ...base, sizee: 3 }, path: 'sizee' },
    {
      desc: 'an unknown nested key',
      value: { ...base, health: { gracePeriod: 3 } },
      path: 'health.gracePeriod',
    },
    {
      desc: 'maxSurge and maxUnavailable both 0',
      value: { ...base, update: { maxSurge: 0, maxUnavailable: 0 } },
      path: 'update.maxSurge',
    },
    {
      desc: 'a percent above 100',
      value: { ...base, health: { maxUnhealthyPercent: 101 } },
      path: 'health.maxUnhealthyPercent',
    },
    { desc: 'a missing instance', value: { id: 'web', allocation: { size: 1 } }, path: 'instance' },
    {
      desc: 'a bad provider name',
      value: { ...base, instance: { provider: 'EC 2' } },
      path: 'instance.provider',
    },
    { desc: 'paused as a string', value: { ...base, paused: 'yes' }, path: 'paused' },
  ])('rejects $desc, naming the field', ({ value, path }) => {
    // Act
    const issues = issuesOf(value);
    // Assess
    expect(issues.map((i) => i.path)).toContain(path);
    for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('reports every bad field at once', () => {
    const issues = issuesOf({ id: 'X', allocation: { size: -2 }, instance: { provider: 'ec2' }, extra: 1 });
    expect(issues.map((i) => i.path).sort()).toEqual(['allocation.size', 'extra', 'id']);
  });
});
