import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { SpecValidationError } from '../errors.js';
import { TABLE_KEY } from './table.js';

/**
 * Key layout of the single table. Every group record shares one partition so that listing all
 * groups is one paginated Query; everything else about a group lives in its own partition.
 *
 * | item            | pk                    | sk                                   |
 * |-----------------|-----------------------|--------------------------------------|
 * | group record    | `GROUPS`              | `<groupId>`                          |
 * | spec history    | `GROUP#<groupId>`     | `VERSION#<10-digit version>`         |
 * | intent          | `GROUP#<groupId>`     | `INTENT#<token>`                     |
 * | event           | `GROUP#<groupId>`     | `EVENT#<13-digit epoch ms>#<random>` |
 * | instance index  | `INSTANCE#<instance>` | `GROUP`                              |
 */

export type ItemKey = Record<string, AttributeValue>;

export const GROUPS_PARTITION = 'GROUPS';
export const VERSION_PREFIX = 'VERSION#';
export const INTENT_PREFIX = 'INTENT#';
export const EVENT_PREFIX = 'EVENT#';

function key(pk: string, sk: string): ItemKey {
  return { [TABLE_KEY.partition]: { S: pk }, [TABLE_KEY.sort]: { S: sk } };
}

/** Zero-padded so that string order of sort keys equals numeric order. */
export function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

export function groupPartition(groupId: string): string {
  return `GROUP#${groupId}`;
}

export function groupKey(groupId: string): ItemKey {
  return key(GROUPS_PARTITION, groupId);
}

export function versionSortKey(version: number): string {
  return `${VERSION_PREFIX}${pad(version, 10)}`;
}

export function versionKey(groupId: string, version: number): ItemKey {
  return key(groupPartition(groupId), versionSortKey(version));
}

export function intentKey(groupId: string, token: string): ItemKey {
  return key(groupPartition(groupId), `${INTENT_PREFIX}${token}`);
}

export function eventKey(groupId: string, at: number, nonce: string): ItemKey {
  return key(groupPartition(groupId), `${EVENT_PREFIX}${pad(Math.max(0, Math.floor(at)), 13)}#${nonce}`);
}

export function instanceKey(instanceId: string): ItemKey {
  return key(`INSTANCE#${instanceId}`, 'GROUP');
}

/**
 * Opaque page cursor: base64url of the LastEvaluatedKey. Only string key attributes are kept, and a
 * cursor is accepted only for the partition it was issued for, so a forged or stale cursor cannot
 * make a listing read another group's items.
 */
export function encodeCursor(lastKey: ItemKey | undefined): string | undefined {
  if (!lastKey) return undefined;
  const pk = lastKey[TABLE_KEY.partition]?.S;
  const sk = lastKey[TABLE_KEY.sort]?.S;
  if (pk === undefined || sk === undefined) return undefined;
  return Buffer.from(JSON.stringify([pk, sk]), 'utf8').toString('base64url');
}

/** Decodes a cursor issued by `encodeCursor` for `partition`; a malformed one is a 400-class error. */
export function decodeCursor(
  cursor: string | undefined,
  partition: string,
  skPrefix = '',
): ItemKey | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    parsed[0] !== partition ||
    typeof parsed[1] !== 'string' ||
    !parsed[1].startsWith(skPrefix)
  ) {
    throw new SpecValidationError([{ path: 'cursor', message: 'is not a cursor returned by this listing' }]);
  }
  return key(partition, parsed[1]);
}

/** Largest page a caller may ask for. */
export const MAX_PAGE_LIMIT = 1000;

/** `Limit` for a Query from a caller's page size (none: DynamoDB's 1 MB page, the cheapest). */
export function pageLimit(limit: number | undefined): { Limit?: number } {
  if (limit === undefined) return {};
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new SpecValidationError([
      { path: 'limit', message: `must be an integer from 1 to ${MAX_PAGE_LIMIT}` },
    ]);
  }
  return { Limit: limit };
}
