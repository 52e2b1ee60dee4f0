import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DETAIL_TYPE_RECONCILE_REQUESTED,
  DETAIL_TYPE_SPEC_CHANGED,
  EVENT_SOURCE,
} from '../../src/events/constants.js';
import { EventPublisher, publishingRequestReconcile } from '../../src/events/publisher.js';
import { OwnEventDetailSchema } from '../../src/events/schemas/infrakit.js';
import type { ReconcileResult } from '../../src/reconcile/types.js';
import { METRIC } from '../../src/runtime/metric-names.js';
import { recordPasses } from '../../src/runtime/metrics.js';
import { scheduledSweep } from '../../src/runtime/sweep.js';

const eventBridge = mockClient(EventBridgeClient);
afterEach(() => eventBridge.reset());

const groupIds = (n: number) => Array.from({ length: n }, (_, i) => `g-${i}`);

describe('EventPublisher', () => {
  it('spreads group IDs over events and sends at most 10 entries per PutEvents', async () => {
    const batches: PutEventsRequestEntry[][] = [];
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      batches.push(input.Entries);
      return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })) };
    });
    const publisher = new EventPublisher({
      client: new EventBridgeClient({ region: 'us-east-1' }),
      eventBusName: 'bus',
      groupsPerEvent: 5,
    });
    const sent = await publisher.publish(DETAIL_TYPE_RECONCILE_REQUESTED, [...groupIds(120), 'g-1'], 'test');
    expect(sent).toBe(24);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 4]);
    const entries = batches.flat();
    expect(entries.every((e) => e.Source === EVENT_SOURCE && e.EventBusName === 'bus')).toBe(true);
    const ids = entries.flatMap((e) => OwnEventDetailSchema.parse(JSON.parse(e.Detail ?? '{}')).groupIds);
    expect(ids).toEqual(groupIds(120));
  });

  it("publishes an operator's reconcile request as Reconcile Requested with retryRejected, other requests as Spec Changed", async () => {
    const entries: PutEventsRequestEntry[] = [];
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      entries.push(...input.Entries);
      return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })) };
    });
    const request = publishingRequestReconcile(
      new EventPublisher({ client: new EventBridgeClient({ region: 'us-east-1' }), eventBusName: 'bus' }),
    );
    await request(['web'], 'reconcile requested', { retryRejected: true });
    await request(['web'], 'group created');
    expect(entries.map((e) => [e.DetailType, JSON.parse(e.Detail ?? '{}')])).toEqual([
      [
        DETAIL_TYPE_RECONCILE_REQUESTED,
        { groupIds: ['web'], reason: 'reconcile requested', retryRejected: true },
      ],
      [DETAIL_TYPE_SPEC_CHANGED, { groupIds: ['web'], reason: 'group created' }],
    ]);
  });

  it('retries the entries EventBridge refused once, then fails loudly', async () => {
    let calls = 0;
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      calls += 1;
      // The first call refuses its second entry; the retry carries exactly that one.
      if (calls === 1)
        return { FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure' }] };
      expect(input.Entries).toHaveLength(1);
      return { FailedEntryCount: 0, Entries: [{ EventId: 'b' }] };
    });
    const publisher = new EventPublisher({
      client: new EventBridgeClient({ region: 'us-east-1' }),
      groupsPerEvent: 1,
    });
    await publisher.publish(DETAIL_TYPE_RECONCILE_REQUESTED, ['a', 'b'], 'test');
    expect(calls).toBe(2);

    eventBridge.reset();
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });
    await expect(publisher.publish(DETAIL_TYPE_RECONCILE_REQUESTED, ['a'], 'test')).rejects.toThrow(
      /ThrottlingException/,
    );
  });
});

describe('scheduled sweep and metrics', () => {
  const result = (groupId: string, patch: Partial<ReconcileResult>): ReconcileResult => ({
    groupId,
    outcome: 'steady',
    launched: 0,
    terminated: 0,
    ...patch,
  });

  it('fans out the groups the sweep had no time for as Reconcile Requested events', async () => {
    const published: { detailType: string; ids: readonly string[] }[] = [];
    const engine = {
      sweep: async () => ({ groupsSeen: 3, results: [result('a', {})], skipped: ['b', 'c'], durationMs: 1 }),
    };
    const { summary } = await scheduledSweep(
      {
        engine: engine as never,
        publisher: {
          publish: async (detailType, ids) => {
            published.push({ detailType, ids });
            return 1;
          },
        },
      },
      Date.now() + 10_000,
    );
    expect(published).toEqual([{ detailType: DETAIL_TYPE_RECONCILE_REQUESTED, ids: ['b', 'c'] }]);
    expect(summary).toMatchObject({ groupsSeen: 3, skipped: 2, fannedOutEvents: 1 });
  });

  it('records groups seen, acted, blocked, launches, terminations and errors by class', () => {
    const metrics = new Metrics({ namespace: 'InfraKit', serviceName: 'test' });
    const tally = recordPasses(
      metrics,
      [
        result('a', { outcome: 'acted', launched: 2, terminated: 1 }),
        result('b', { outcome: 'blocked' }),
        result('c', { outcome: 'observe-failed', error: 'describe timed out' }),
        result('d', { outcome: 'acted', launched: 1 }),
      ],
      5,
    );
    expect(tally).toMatchObject({ acted: 2, blocked: 1, launches: 3, terminations: 1 });
    expect(Object.fromEntries(tally.errors)).toEqual({ observe: 1 });
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown>;
    expect(emf).toMatchObject({
      [METRIC.groupsSeen]: 5,
      [METRIC.groupsActed]: 2,
      [METRIC.groupsBlocked]: 1,
      [METRIC.launches]: 3,
      [METRIC.terminations]: 1,
    });
  });
});
