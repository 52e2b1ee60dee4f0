import { readFileSync } from 'node:fs';
import type { EventBridgeEvent } from 'aws-lambda';

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
