import { describe, expect, it } from 'vitest';
import { leftGroup } from '../../src/reconcile/registration.js';
import { groupOfToken, newToken } from '../../src/reconcile/token.js';

describe('launch tokens name their group', () => {
  it('gives back the group of every token newToken makes, dashes in the group id included', () => {
    for (const group of ['web', 'web-api', 'a', 'x-1-2', 'web-lx2f9-0123abcd'])
      expect(groupOfToken(newToken(group, 1_700_000_000_000))).toBe(group);
  });

  it('names no group for a token of another making', () => {
    for (const token of [undefined, '', 'web', 'Web-abc-0123abcd', 'web-abc-0123abcg', 'web--0123abcd'])
      expect(groupOfToken(token)).toBeUndefined();
  });
});

describe('leftGroup: tags that prove an instance left this group', () => {
  const owner = { controllerId: 'c1', groupId: 'web' };
  const token = newToken('web', 1);
  it.each([
    [{ 'infrakit.controller': 'c1', 'infrakit.retained': 'web' }, true],
    [{ 'infrakit.controller': 'c1', 'infrakit.intent': token }, true],
    [{ 'infrakit.controller': 'c1', 'infrakit.intent': newToken('web-api', 1) }, false],
    [{ 'infrakit.controller': 'c1', 'infrakit.retained': 'other' }, false],
    [{ 'infrakit.controller': 'c2', 'infrakit.retained': 'web', 'infrakit.intent': token }, false],
    [{ 'infrakit.controller': 'c1', 'infrakit.group': 'other', 'infrakit.intent': token }, false],
    [{ 'infrakit.controller': 'c1', 'infrakit.group': 'web', 'infrakit.intent': token }, false],
    [{}, false],
  ])('%o → %s', (tags, expected) => {
    expect(leftGroup(tags, owner)).toBe(expected);
  });
});
