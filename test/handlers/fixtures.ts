import { readFileSync } from 'node:fs';
import type { Context, EventBridgeEvent } from 'aws-lambda';

type Event = EventBridgeEvent<string, Record<string, unknown>>;

/**
 * An EventBridge event from `test/fixtures/events/<source>/<name>.json` (the exact shapes AWS
 * sends), with the instance id, time or group ids swapped in for the test's own.
 */
export function fixtureEvent(
  source: string,
  name: string,
  patch: { instanceId?: string; time?: string; groupIds?: string[]; startTime?: string } = {},
): Event {
  const url = new URL(`../fixtures/events/${source}/${name}.json`, import.meta.url);
  const event = JSON.parse(readFileSync(url, 'utf8')) as Event;
  const detail = { ...event.detail };
  if (patch.instanceId) {
    if ('instance-id' in detail) detail['instance-id'] = patch.instanceId;
    if (Array.isArray(detail.affectedEntities)) detail.affectedEntities = [{ entityValue: patch.instanceId }];
    event.resources = [`arn:aws:ec2:${event.region}:${event.account}:instance/${patch.instanceId}`];
  }
  if (patch.groupIds) detail.groupIds = patch.groupIds;
  if (patch.startTime) detail.startTime = patch.startTime;
  if (patch.time) event.time = patch.time;
  return { ...event, detail };
}

/** A Lambda context whose remaining time counts down from `remainingMs`. */
export function lambdaContext(remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'infrakit-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:infrakit-test',
    memoryLimitInMB: '512',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/infrakit-test',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
