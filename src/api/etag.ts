import type { StoredSpec } from '../store/types.js';
import { preconditionFailed } from './errors.js';

/** Entity tags listed in an `If-Match` / `If-None-Match` header; `*` stays `*`. Weak tags compare as strong. */
export function parseEtagList(header: string | undefined): string[] | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .filter((t) => t !== '')
    .map((t) => (t === '*' || t.startsWith('"') ? t : `"${t}"`));
}

/**
 * Checks `If-Match` / `If-None-Match` against the current record (RFC 7232: a failed condition is
 * 412, also when `If-None-Match: *` meets an existing group). Returns the version the write must be
 * conditional on, so that a change landing between this check and the write is still caught.
 */
export function checkPreconditions(
  headers: Readonly<Record<string, string>>,
  current: StoredSpec | undefined,
): { expectedVersion?: number; createOnly: boolean } {
  const ifMatch = parseEtagList(headers['if-match']);
  const ifNoneMatch = parseEtagList(headers['if-none-match']);
  if (ifNoneMatch?.includes('*')) {
    if (current) throw preconditionFailed('the group already exists (If-None-Match: *)');
    return { createOnly: true };
  }
  if (ifNoneMatch && current && ifNoneMatch.includes(current.etag)) {
    throw preconditionFailed(`the group is at ${current.etag}, which If-None-Match excludes`);
  }
  if (ifMatch) {
    if (!current) throw preconditionFailed('the group does not exist (If-Match needs a current version)');
    if (!ifMatch.includes('*') && !ifMatch.includes(current.etag)) {
      throw preconditionFailed(`stale If-Match: the group is now at ${current.etag}; re-read it and retry`);
    }
  }
  return current ? { expectedVersion: current.version, createOnly: false } : { createOnly: true };
}
