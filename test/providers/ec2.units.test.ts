import { describe, expect, it } from 'vitest';
import { InsufficientCapacityError, InvalidConfigurationError, ThrottledError } from '../../src/errors.js';
import { classifyAwsError, toProviderError } from '../../src/providers/ec2/errors.js';
import { healthFromStatus } from '../../src/providers/ec2/health.js';
import { baseLaunchInput, clientToken, launchInput } from '../../src/providers/ec2/launch-input.js';
import { cidrContains, parseIpv4, spread, subnetForIp } from '../../src/providers/ec2/placement.js';
import { parseEc2Properties } from '../../src/providers/ec2/properties.js';
import { backoffDelayMs, withRetry } from '../../src/providers/ec2/retry.js';
import { realSleep, TokenBucket } from '../../src/providers/ec2/token-bucket.js';
import { awsError, fakeClock } from './ec2-fixtures.js';

describe('ec2 error classes', () => {
  it.each([
    ['RequestLimitExceeded', 'throttling'],
    ['ThrottlingException', 'throttling'],
    ['EC2ThrottledException', 'throttling'],
    ['InsufficientInstanceCapacity', 'capacity'],
    ['VcpuLimitExceeded', 'capacity'],
    ['Unsupported', 'capacity'],
    ['InvalidAMIID.NotFound', 'invalid-config'],
    ['InvalidAMIID.Malformed', 'invalid-config'],
    ['UnauthorizedOperation', 'invalid-config'],
    ['InvalidSubnetID.NotFound', 'invalid-config'],
    ['InvalidInstanceID.NotFound', 'not-found'],
    ['InvalidInstanceID.Malformed', 'not-found'],
    ['InvalidIPAddress.InUse', 'address-in-use'],
    ['InternalError', 'transient'],
    ['SomethingNew', 'other'],
  ])('%s is %s', (code, cls) => {
    expect(classifyAwsError(awsError(code))).toBe(cls);
  });

  it('maps classes to the project errors, keeping the cause and the launched ids', () => {
    const capacity = toProviderError(awsError('InsufficientInstanceCapacity'), 'launching', ['i-1']);
    expect(capacity).toBeInstanceOf(InsufficientCapacityError);
    expect((capacity as InsufficientCapacityError).launchedIds).toEqual(['i-1']);
    const invalid = toProviderError(
      awsError('InvalidAMIID.NotFound', 'The image id does not exist'),
      'launching',
    );
    expect(invalid).toBeInstanceOf(InvalidConfigurationError);
    expect(invalid.message).toBe('launching: InvalidAMIID.NotFound: The image id does not exist');
    expect(toProviderError(awsError('Throttling'), 'x')).toBeInstanceOf(ThrottledError);
    expect(classifyAwsError(new Error('socket hang up'))).toBe('other');
  });
});

describe('placement', () => {
  it('parses only well-formed IPv4 addresses', () => {
    expect(parseIpv4('10.0.1.5')).toBe(10 * 2 ** 24 + 1 * 256 + 5);
    for (const bad of ['10.0.1', '10.0.1.256', '10.0.01.5', 'zk1', '1.2.3.4.5'])
      expect(parseIpv4(bad)).toBeUndefined();
  });

  it('tests CIDR membership', () => {
    expect(cidrContains('10.20.1.0/24', '10.20.1.200')).toBe(true);
    expect(cidrContains('10.20.1.0/24', '10.20.2.1')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '192.168.1.1')).toBe(true);
    expect(
      subnetForIp(
        [
          { id: 'a', cidr: '10.0.0.0/24' },
          { id: 'b', cidr: '10.0.1.0/24' },
        ],
        '10.0.1.9',
      )?.id,
    ).toBe('b');
    expect(subnetForIp([{ id: 'a', cidr: '10.0.0.0/24' }], 'zk1')).toBeUndefined();
  });

  it('fills the least loaded subnets first, ties in list order', () => {
    expect(spread(['a', 'b', 'c'], new Map(), 5)).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(spread(['a', 'b', 'c'], new Map([['a', 2]]), 4)).toEqual(['b', 'c', 'b', 'c']);
    expect(spread([], new Map(), 3)).toEqual([]);
  });
});

describe('launch input', () => {
  it('derives client tokens of at most 64 characters that differ per call and repeat per retry', () => {
    const long = 'x'.repeat(200);
    expect(clientToken(long, 'a').length).toBeLessThanOrEqual(64);
    expect(clientToken('tok', 'subnet-1')).toBe(clientToken('tok', 'subnet-1'));
    expect(clientToken('tok', 'subnet-1')).not.toBe(clientToken('tok', 'subnet-2'));
    expect(clientToken('tok', 'subnet-1').startsWith('tok-')).toBe(true);
  });

  it('base64-encodes the init script and tags instance and volumes at launch', () => {
    const p = parseEc2Properties({
      imageId: 'ami-12c6146b',
      instanceType: 't3.micro',
      spot: { interruptionBehavior: 'stop' },
    });
    const input = launchInput(baseLaunchInput(p), {
      count: 2,
      intentToken: 'tok',
      batchKey: 'k',
      tags: { 'infrakit.group': 'web' },
      init: '#!/bin/sh\necho hi',
    });
    expect(Buffer.from(input.UserData ?? '', 'base64').toString()).toBe('#!/bin/sh\necho hi');
    expect(input.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume']);
    expect(input.MetadataOptions?.HttpTokens).toBe('required');
    expect(input.InstanceMarketOptions?.SpotOptions?.SpotInstanceType).toBe('persistent');
    expect([input.MinCount, input.MaxCount]).toEqual([2, 2]);
  });
});

describe('health from status checks', () => {
  it('impaired wins, with the earliest failure time', () => {
    const since = new Date(5_000);
    expect(
      healthFromStatus({
        SystemStatus: { Status: 'ok' },
        InstanceStatus: {
          Status: 'impaired',
          Details: [{ Name: 'reachability', Status: 'failed', ImpairedSince: since }],
        },
      }),
    ).toEqual({ status: 'impaired', since: 5_000 });
    expect(healthFromStatus({ SystemStatus: { Status: 'ok' }, InstanceStatus: { Status: 'ok' } })).toEqual({
      status: 'ok',
    });
    expect(
      healthFromStatus({ SystemStatus: { Status: 'ok' }, InstanceStatus: { Status: 'initializing' } }),
    ).toEqual({
      status: 'unknown',
    });
  });
});

describe('token bucket', () => {
  it('allows a burst of 5, then one request per 500 ms, in arrival order', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ now: clock.now, sleep: clock.sleep });
    const grantedAt: number[] = [];
    await Promise.all(
      Array.from({ length: 9 }, () => bucket.take().then(() => grantedAt.push(clock.elapsed()))),
    );
    expect(grantedAt).toEqual([0, 0, 0, 0, 0, 500, 1000, 1500, 2000]);
  });

  it('refills while idle, never beyond its capacity', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 5; i++) await bucket.take();
    await clock.sleep(60_000);
    expect(bucket.available()).toBe(5);
  });
});

describe('retry', () => {
  it('uses full jitter under an exponential, capped ceiling', () => {
    const opts = { sleep: async () => {}, random: () => 0.999, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 4].map((n) => backoffDelayMs(n, opts))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelayMs(3, { ...opts, random: () => 0 })).toBe(0);
  });

  it('does not retry errors that retrying cannot fix', async () => {
    let attempts = 0;
    const failing = () => {
      attempts++;
      return Promise.reject(awsError('InvalidParameterValue'));
    };
    await expect(withRetry('op', failing, { sleep: async () => {} })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    expect(attempts).toBe(1);
  });

  it('stops backing off, and tries no more, once its signal aborts', async () => {
    let attempts = 0;
    const throttled = () => {
      attempts++;
      return Promise.reject(awsError('RequestLimitExceeded'));
    };
    const controller = new AbortController();
    const reason = new Error('timed out');
    // A sleep that ignores the signal and never ends: the abort alone must end the wait.
    const sleeping: number[] = [];
    const sleep = (ms: number) => {
      sleeping.push(ms);
      controller.abort(reason);
      return new Promise<void>(() => {});
    };
    const retried = withRetry('DescribeInstances', throttled, { sleep, maxAttempts: 5 }, controller.signal);
    await expect(retried).rejects.toBe(reason);
    expect(attempts).toBe(1);
    expect(sleeping).toHaveLength(1);
  });

  it('ends a real backoff sleep at once on abort, and starts nothing when aborted before', async () => {
    let attempts = 0;
    const throttled = () => {
      attempts++;
      return Promise.reject(awsError('RequestLimitExceeded'));
    };
    const controller = new AbortController();
    const options = {
      sleep: realSleep,
      maxAttempts: 5,
      baseDelayMs: 60_000,
      maxDelayMs: 60_000,
      random: () => 0.5,
    };
    const started = Date.now();
    const retried = withRetry('DescribeInstances', throttled, options, controller.signal);
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(retried).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(attempts).toBe(1);
    await expect(withRetry('op', throttled, options, AbortSignal.abort(new Error('gone')))).rejects.toThrow(
      'gone',
    );
    expect(attempts).toBe(1);
  });
});

describe('token bucket under abort', () => {
  it('gives up a wait for a token at once, and an aborted waiter takes none', async () => {
    let t = 0;
    const wakes: (() => void)[] = [];
    // A clock that moves only when a sleeper is woken by the test.
    const bucket = new TokenBucket({
      capacity: 1,
      refillPerSecond: 1,
      now: () => t,
      sleep: (ms) =>
        new Promise<void>((resolve) =>
          wakes.push(() => {
            t += ms;
            resolve();
          }),
        ),
    });
    await bucket.take();
    const controller = new AbortController();
    const reason = new Error('gave up');
    const waiting = bucket.take(controller.signal);
    const behind = bucket.take();
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    // The waiter behind the aborted one gets the next token, one refill later.
    while (wakes.length === 0) await new Promise((r) => setTimeout(r, 1));
    for (const wake of wakes.splice(0)) wake();
    while (wakes.length > 0) for (const wake of wakes.splice(0)) wake();
    await behind;
    expect(t).toBe(1_000);
    expect(bucket.available()).toBeLessThan(1);
  });
});
