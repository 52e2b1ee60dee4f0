import { describe, expect, it } from 'vitest';
import { type FieldIssue, SpecValidationError } from '../../src/errors.js';
import { Ec2Provider } from '../../src/providers/ec2/index.js';
import type { ProvisionRequest } from '../../src/providers/types.js';
import { controllerTags, TAG_PROTECTED } from '../../src/tags.js';

/** Validation only: the client is never built. */
const provider = new Ec2Provider({
  client: async () => {
    throw new Error('no EC2 call expected');
  },
});

const inline = { imageId: 'ami-12c6146b', instanceType: 't3.micro' };

/** `n` tags named `<prefix>0` … */
const tags = (n: number, prefix = 'k') =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));

function issuesOf(run: () => unknown): readonly FieldIssue[] {
  try {
    run();
    return [];
  } catch (err) {
    if (!(err instanceof SpecValidationError)) throw err;
    return err.issues;
  }
}

/** A request as the engine builds it: the controller's tags, then the flavor's. */
function request(extra: { tags?: Record<string, string>; init?: string; logicalId?: string } = {}) {
  const own = controllerTags(
    { controllerId: 'c'.repeat(128), groupId: 'web' },
    'abc123',
    'web-m1-0a1b2c3d',
    extra.logicalId,
  );
  const req: ProvisionRequest = {
    tags: { ...extra.tags, ...own },
    token: 'web-m1-0a1b2c3d',
    ...(extra.logicalId !== undefined ? { logicalId: extra.logicalId } : {}),
    ...(extra.init !== undefined ? { init: extra.init } : {}),
  };
  return req;
}

function launchIssues(properties: Record<string, unknown>, req: ProvisionRequest) {
  return issuesOf(() => provider.validateLaunch(provider.validate(properties), req));
}

describe('ec2 properties: tags within EC2’s 50 per resource', () => {
  it('accepts 45 tags and refuses 46, keeping 5 for the controller’s own', () => {
    expect(issuesOf(() => provider.validate({ ...inline, tags: tags(45) }))).toEqual([]);
    const issues = issuesOf(() => provider.validate({ ...inline, tags: tags(46) }));
    expect(issues).toEqual([
      { path: 'tags', message: expect.stringMatching(/46 tags, at most 45: EC2 allows 50/) },
    ]);
    expect(issues[0]?.message).toContain(TAG_PROTECTED);
  });

  it('says why a reserved key is refused', () => {
    expect(
      issuesOf(() => provider.validate({ ...inline, tags: { 'aws:x': '1', 'infrakit.intent': '2' } })),
    ).toEqual([
      { path: 'tags.aws:x', message: 'aws:* tags are reserved by AWS' },
      { path: 'tags.infrakit.intent', message: expect.stringMatching(/controller’s own/) },
    ]);
  });
});

describe('ec2 validateLaunch', () => {
  it('counts the properties’ tags, the flavor’s and the controller’s (infrakit.protected included) once each', () => {
    // 10 + 35 + 4 launch tags + infrakit.protected = 50.
    expect(launchIssues({ ...inline, tags: tags(10, 'p') }, request({ tags: tags(35, 'f') }))).toEqual([]);
    // A key set by both counts once.
    expect(
      launchIssues({ ...inline, tags: { ...tags(10, 'p'), f0: 'x' } }, request({ tags: tags(35, 'f') })),
    ).toEqual([]);
    const over = launchIssues({ ...inline, tags: tags(10, 'p') }, request({ tags: tags(36, 'f') }));
    expect(over).toEqual([
      {
        path: 'tags',
        message: expect.stringMatching(
          /^51 tags on each instance, more than the 50 EC2 allows per resource: 36 set by the flavor, 10 by instance.properties.tags, 5 kept for the controller/,
        ),
      },
    ]);
  });

  it('counts a pet’s logical-id tag', () => {
    const props = { ...inline, tags: tags(10, 'p') };
    expect(launchIssues(props, request({ tags: tags(35, 'f') }))).toEqual([]);
    expect(
      launchIssues(props, request({ tags: tags(35, 'f'), logicalId: 'zk1' })).map((i) => i.path),
    ).toEqual(['tags']);
  });

  it('limits user data to 16 KB before base64 encoding, counting bytes, not characters', () => {
    expect(launchIssues(inline, request({ init: 'x'.repeat(16_384) }))).toEqual([]);
    expect(launchIssues(inline, request({ init: 'x'.repeat(16_385) }))).toEqual([
      {
        path: 'init',
        message: expect.stringMatching(/16385 bytes; EC2 user data is limited to 16384 bytes/),
      },
    ]);
    // 8,193 two-byte characters: 16,386 bytes.
    expect(launchIssues(inline, request({ init: 'é'.repeat(8_193) })).map((i) => i.path)).toEqual(['init']);
    expect(launchIssues(inline, request())).toEqual([]);
  });

  it('refuses tags EC2 would refuse, whichever flavor set them', () => {
    const issues = launchIssues(inline, request({ tags: { 'aws:owner': 'x', long: 'v'.repeat(257) } }));
    expect(issues).toEqual([
      { path: 'tags.aws:owner', message: 'aws:* tags are reserved by AWS' },
      { path: 'tags.long', message: expect.stringMatching(/at most 256 characters, got 257/) },
    ]);
  });
});
