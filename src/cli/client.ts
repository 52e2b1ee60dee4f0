import type { FieldIssue } from '../errors.js';
import { isLoopback } from '../loopback.js';
import { createSigV4Signer, type OutgoingRequest, type RequestSigner, type SignerOptions } from './sign.js';

/**
 * The HTTP client of the InfraKit API (architecture §6), the same against the local controller and a
 * deployed API Gateway. It knows routes and error shapes, nothing about presentation.
 */

/** The default endpoint: the local controller of `npm start`. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';

/** The API answered with its JSON error shape (or some other non-2xx). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: readonly FieldIssue[];
  constructor(status: number, code: string, message: string, issues: readonly FieldIssue[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

/** Nothing answered at the endpoint (refused, DNS, timeout). */
export class UnreachableError extends Error {
  constructor(endpoint: string, reason: string, options?: ErrorOptions) {
    super(`cannot reach ${endpoint}: ${reason}`, options);
    this.name = 'UnreachableError';
  }
}

export interface ClientOptions {
  readonly endpoint: string;
  /** Signs requests; default: SigV4 for non-loopback endpoints, nothing on loopback. */
  readonly signer?: RequestSigner | null;
  readonly signerOptions?: SignerOptions;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Per-request timeout. @default 30_000 */
  readonly timeoutMs?: number;
}

/** A successful response: parsed JSON body plus the headers that matter (ETag). */
export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly etag?: string;
}

export interface PutOptions {
  /** `application/json` or `application/yaml`; InfraKit-format JSON goes as JSON. */
  readonly contentType: string;
  readonly pretend?: boolean;
  readonly ifMatch?: string;
  readonly createOnly?: boolean;
}

export interface PageOptions {
  readonly limit?: number;
  readonly cursor?: string;
}

type Json = Record<string, unknown>;

export class InfrakitClient {
  readonly endpoint: string;
  private readonly base: URL;
  private readonly signer: RequestSigner | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    let base: URL;
    try {
      base = new URL(options.endpoint);
    } catch {
      throw new Error(`invalid endpoint URL: ${options.endpoint}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new Error(`invalid endpoint URL: ${options.endpoint} (http or https only)`);
    }
    this.base = base;
    this.endpoint = base.href.replace(/\/$/, '');
    const signs = options.signer !== null && (options.signer !== undefined || !isLoopback(base));
    if (signs && base.protocol === 'http:' && !isLoopback(base)) {
      // A signed request in clear text can be read and replayed (within its 5-minute window).
      throw new Error(
        `refusing to send SigV4-signed requests over plain http:// to ${base.host}: use https:// (only loopback endpoints may use http)`,
      );
    }
    this.signer =
      options.signer === null
        ? undefined
        : (options.signer ?? (isLoopback(base) ? undefined : createSigV4Signer(base, options.signerOptions)));
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  listGroups(): Promise<ApiResponse<Json>> {
    return this.request('GET', ['groups']);
  }

  getGroup(id: string): Promise<ApiResponse<Json>> {
    return this.request('GET', ['groups', id]);
  }

  putGroup(id: string, body: string, options: PutOptions): Promise<ApiResponse<Json>> {
    const headers: Record<string, string> = { 'content-type': options.contentType };
    if (options.ifMatch) headers['if-match'] = options.ifMatch;
    if (options.createOnly) headers['if-none-match'] = '*';
    const query = options.pretend ? { pretend: 'true' } : undefined;
    return this.request('PUT', ['groups', id], { body, headers, query });
  }

  setSize(id: string, size: number): Promise<ApiResponse<Json>> {
    return this.request('PATCH', ['groups', id, 'size'], { json: { size } });
  }

  reconcile(id: string): Promise<ApiResponse<Json>> {
    return this.request('POST', ['groups', id, 'reconcile']);
  }

  free(id: string): Promise<ApiResponse<Json>> {
    return this.request('POST', ['groups', id, 'free']);
  }

  destroy(id: string): Promise<ApiResponse<Json>> {
    return this.request('DELETE', ['groups', id]);
  }

  events(id: string, page: PageOptions = {}): Promise<ApiResponse<Json>> {
    return this.request('GET', ['groups', id, 'events'], { query: pageQuery(page) });
  }

  history(id: string, page: PageOptions = {}): Promise<ApiResponse<Json>> {
    return this.request('GET', ['groups', id, 'history'], { query: pageQuery(page) });
  }

  rollback(id: string, version: number): Promise<ApiResponse<Json>> {
    return this.request('POST', ['groups', id, 'rollback'], { json: { version } });
  }

  private async sign(signer: RequestSigner, request: OutgoingRequest): Promise<Record<string, string>> {
    try {
      return await signer(request);
    } catch (err) {
      throw new Error(
        `cannot sign the request for ${this.base.host} with SigV4: ${err instanceof Error ? err.message : String(err)} ` +
          '(configure AWS credentials: AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
        { cause: err },
      );
    }
  }

  /** One request; throws `ApiError` on a non-2xx answer and `UnreachableError` when none came. */
  async request<T = Json>(
    method: string,
    segments: readonly string[],
    options: {
      json?: unknown;
      body?: string;
      headers?: Record<string, string>;
      query?: Record<string, string>;
    } = {},
  ): Promise<ApiResponse<T>> {
    const url = new URL(this.base.href.replace(/\/?$/, '/') + segments.map(encodeURIComponent).join('/'));
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
    let headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    if (this.signer)
      headers = await this.sign(this.signer, {
        method,
        url,
        headers,
        ...(body !== undefined ? { body } : {}),
      });

    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new UnreachableError(this.endpoint, networkReason(err), { cause: err });
    }
    const text = await res.text();
    const parsed = parseJson(text);
    if (!res.ok) throw toApiError(res.status, parsed, text);
    const etag = res.headers.get('etag') ?? undefined;
    return { status: res.status, body: parsed as T, ...(etag ? { etag } : {}) };
  }
}

function pageQuery(page: PageOptions): Record<string, string> {
  const q: Record<string, string> = {};
  if (page.limit !== undefined) q.limit = String(page.limit);
  if (page.cursor !== undefined) q.cursor = page.cursor;
  return q;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toApiError(status: number, parsed: unknown, text: string): ApiError {
  const error = isObject(parsed) && isObject(parsed.error) ? parsed.error : undefined;
  if (error) {
    const issues = Array.isArray(error.issues)
      ? error.issues
          .filter(isObject)
          .map((i) => ({ path: String(i.path ?? ''), message: String(i.message ?? '') }))
      : [];
    return new ApiError(
      status,
      String(error.code ?? status),
      String(error.message ?? `HTTP ${status}`),
      issues,
    );
  }
  // API Gateway's own answers (`{"message":"Forbidden"}`) and anything else.
  const message =
    isObject(parsed) && typeof parsed.message === 'string' ? parsed.message : text.slice(0, 200);
  return new ApiError(status, String(status), message || `HTTP ${status}`);
}

/** `ECONNREFUSED`, `ENOTFOUND`, a timeout… from fetch's nested causes. */
function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timed out';
  let cur: unknown = err;
  let deepest = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 5 && cur instanceof Error; depth++) {
    const code = (cur as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code === 'ECONNREFUSED' ? 'connection refused' : code;
    deepest = cur.message || deepest;
    cur = cur.cause;
  }
  return deepest;
}

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
