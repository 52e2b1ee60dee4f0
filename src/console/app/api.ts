import createClient from 'openapi-fetch';
import type { components, paths } from '../../api/openapi-types.js';

/**
 * The API of the origin that served the page (local mode's controller, or `infrakit console`'s
 * signing proxy), typed from the OpenAPI document like the CLI's client.
 */

export type Schemas = components['schemas'];
export type GroupDocument = Schemas['GroupDocument'];
export type GroupSpec = Schemas['GroupSpec'];
export type Plan = Schemas['Plan'];

export const api = createClient<paths>({ baseUrl: location.origin, headers: { accept: 'application/json' } });

/** A refused request, with the API's message and the fields it names. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly issues: readonly { path: string; message: string }[];
  constructor(status: number, message: string, issues: readonly { path: string; message: string }[] = []) {
    super(message);
    this.status = status;
    this.issues = issues;
  }
}

function failure(response: Response, error: unknown): ApiFailure {
  const body = error as
    | { error?: { message?: string; issues?: { path: string; message: string }[] } }
    | undefined;
  const message = body?.error?.message ?? (error as { message?: string } | undefined)?.message;
  return new ApiFailure(
    response.status,
    `${message ?? response.statusText} (HTTP ${response.status})`,
    body?.error?.issues ?? [],
  );
}

/** The typed body of a 2xx answer and its ETag; `ApiFailure` otherwise. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<{ body: T; etag: string | undefined }> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw failure(response, error);
  return { body: data, etag: response.headers.get('etag') ?? undefined };
}
