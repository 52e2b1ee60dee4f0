import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  CheckUnavailableError,
  clipText,
  type FieldIssue,
  reportedIssues,
  SpecValidationError,
} from '../errors.js';
import type { Log } from '../log.js';
import {
  GroupDestroyingError,
  GroupExistsError,
  GroupNotFoundError,
  VersionConflictError,
} from '../store/errors.js';
import { jsonResponse } from './http.js';

/** Machine-readable error codes of the API (the `error.code` field). */
export type ApiErrorCode =
  | 'invalid-spec'
  | 'invalid-request'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'precondition-failed'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'check-unavailable'
  | 'internal';

/** An error that maps to one HTTP response; thrown by routes, turned into JSON by `toErrorResponse`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly issues?: readonly FieldIssue[];
  readonly headers?: Readonly<Record<string, string>>;
  constructor(
    status: number,
    code: ApiErrorCode,
    message: string,
    extra: { issues?: readonly FieldIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    if (extra.issues) this.issues = extra.issues;
    if (extra.headers) this.headers = extra.headers;
  }
}

export const notFound = (message: string) => new HttpError(404, 'not-found', message);
export const badRequest = (message: string, issues?: readonly FieldIssue[]) =>
  new HttpError(400, 'invalid-request', message, issues ? { issues } : {});
export const conflict = (message: string) => new HttpError(409, 'conflict', message);
export const preconditionFailed = (message: string) => new HttpError(412, 'precondition-failed', message);

/** When to try a write again after its spec could not be checked (a backend did not answer). */
const CHECK_RETRY_AFTER_SECONDS = 5;

/** Maps the project's typed errors onto HTTP; anything else is a real 5xx. */
function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof SpecValidationError) {
    return new HttpError(400, 'invalid-spec', err.message, { issues: err.issues });
  }
  if (err instanceof VersionConflictError) {
    return preconditionFailed(`${err.message} (the group changed since it was read)`);
  }
  if (err instanceof GroupExistsError) return preconditionFailed(err.message);
  // A DELETE marked the group after this request read it (the read-time check is in the routes).
  if (err instanceof GroupDestroyingError) return conflict(err.message);
  if (err instanceof GroupNotFoundError) return notFound(err.message);
  // A plugin or provider API the spec's checks need did not answer: nothing was written, retry.
  if (err instanceof CheckUnavailableError) {
    return new HttpError(503, 'check-unavailable', err.message, {
      issues: err.issues,
      headers: { 'Retry-After': String(CHECK_RETRY_AFTER_SECONDS) },
    });
  }
  return undefined;
}

/** An error message is one line for people; anything longer is cut (it may quote the input). */
const MAX_MESSAGE_CHARS = 4_000;

/**
 * The JSON error body `{ error: { code, message, issues? } }`, small whatever the input was. A real server error is logged with
 * its details and answered with a generic message, so internals never reach the caller.
 */
export function toErrorResponse(
  err: unknown,
  log: Log,
  context: Record<string, unknown>,
): APIGatewayProxyStructuredResultV2 {
  const http = toHttpError(err);
  if (!http) {
    log.error('request failed', {
      ...context,
      error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
    });
    return jsonResponse(500, {
      error: { code: 'internal', message: 'internal error; see the controller logs' },
    });
  }
  // Bounded whatever the input: the first issues, clipped, and a count of the rest (see ISSUE_LIMITS).
  const body = {
    error: {
      code: http.code,
      message: clipText(http.message, MAX_MESSAGE_CHARS),
      ...(http.issues && http.issues.length > 0 ? { issues: reportedIssues(http.issues) } : {}),
    },
  };
  return jsonResponse(http.status, body, http.headers);
}
