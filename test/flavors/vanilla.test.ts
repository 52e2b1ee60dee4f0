import { describe, expect, it } from 'vitest';
import { SpecValidationError } from '../../src/errors.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import type { InstanceDescription, InstanceState, ProviderHealth } from '../../src/providers/types.js';
import { TAG_GROUP, TAG_INTENT } from '../../src/tags.js';

const allocation = { size: 2 };

function instance(state: InstanceState, health: ProviderHealth['status'] = 'ok'): InstanceDescription {
  return { id: 'i-1', state, tags: {}, launchedAt: 0, health: { status: health } };
}

describe('vanilla flavor', () => {
  it('joins init lines in order into the init script', () => {
    // Prepare
    const props = vanillaFlavor.validate({ init: ['set -e', 'echo one', 'echo two'] }, allocation);
    // Act
    const req = vanillaFlavor.prepare(props, { tags: { [TAG_GROUP]: 'web' }, token: 't1' }, allocation, 0);
    // Assess
    expect(req.init).toBe('set -e\necho one\necho two');
  });

  it('merges tags, letting the controller tags win', () => {
    const props = vanillaFlavor.validate(
      { tags: { team: 'ops', [TAG_GROUP]: 'evil', [TAG_INTENT]: 'x' } },
      allocation,
    );
    const req = vanillaFlavor.prepare(
      props,
      { tags: { [TAG_GROUP]: 'web', [TAG_INTENT]: 't1' }, token: 't1' },
      allocation,
      0,
    );
    expect(req.tags).toEqual({ team: 'ops', [TAG_GROUP]: 'web', [TAG_INTENT]: 't1' });
  });

  it('leaves the request without an init script when there are no init lines', () => {
    const req = vanillaFlavor.prepare(
      vanillaFlavor.validate({}, allocation),
      { tags: {}, token: 't' },
      allocation,
      0,
    );
    expect(req.init).toBeUndefined();
  });

  it('rejects unknown properties with their path', () => {
    expect(() => vanillaFlavor.validate({ init: 'echo', bogus: 1 }, allocation)).toThrowError(
      SpecValidationError,
    );
    try {
      vanillaFlavor.validate({ init: 'echo', bogus: 1 }, allocation);
    } catch (err) {
      expect((err as SpecValidationError).issues.map((i) => i.path).sort()).toEqual(['bogus', 'init']);
    }
  });

  it('rejects aws:-prefixed tag keys (any case), which AWS reserves, naming each key', () => {
    const tags = { 'aws:cloudformation:stack-name': 'x', 'AWS:Owner': 'y', team: 'ops', 'team:aws': 'ok' };
    let issues: readonly { path: string; message: string }[] = [];
    try {
      vanillaFlavor.validate({ tags }, allocation);
    } catch (err) {
      if (!(err instanceof SpecValidationError)) throw err;
      issues = err.issues;
    }
    expect(issues.map((i) => i.path).sort()).toEqual([
      'tags.AWS:Owner',
      'tags.aws:cloudformation:stack-name',
    ]);
    expect(issues[0]?.message).toMatch(/reserved by AWS/);
  });

  it.each([
    { state: 'running', health: 'ok', expected: 'healthy' },
    { state: 'running', health: 'unknown', expected: 'healthy' },
    { state: 'running', health: 'impaired', expected: 'unhealthy' },
    { state: 'pending', health: 'unknown', expected: 'unknown' },
    { state: 'stopping', health: 'ok', expected: 'unhealthy' },
    { state: 'stopped', health: 'ok', expected: 'unhealthy' },
    { state: 'shutting-down', health: 'ok', expected: 'unhealthy' },
  ] as const)('judges $state with status $health as $expected', ({ state, health, expected }) => {
    expect(vanillaFlavor.health({}, instance(state, health))).toBe(expected);
  });
});
