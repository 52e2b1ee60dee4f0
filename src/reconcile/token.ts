import { randomBytes } from 'node:crypto';

/** A fresh idempotency token: unique per intent, readable, short enough for tags. */
export function newToken(groupId: string, now: number): string {
  return `${groupId}-${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** `newToken`'s two fixed tails; whatever precedes them is the group id (which may hold dashes). */
const TOKEN = /^([a-z0-9][a-z0-9-]*)-[0-9a-z]+-[0-9a-f]{8}$/;

/** The group a launch token was issued for (`infrakit.intent`), or undefined for a token not of `newToken`'s making. */
export function groupOfToken(token: string | undefined): string | undefined {
  return token === undefined ? undefined : TOKEN.exec(token)?.[1];
}
