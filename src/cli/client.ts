import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from '../api/openapi-types.js';
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

/** A successful response: the typed JSON body plus the headers that matter (ETag). */
export interface ApiResponse<T> {
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

/** The response bodies of the API, as its OpenAPI document types them. */
export type Schemas = components['schemas'];

/**
 * What `openapi-fetch` answers: on success the body typed by the document, else the error body.
 * The union keeps `data` and `error` as the document types them for each route.
 */
type Answer<T> = { data?: T; error?: unknown; response: Response };

export class InfrakitClient {
  readonly endpoint: string;
  private readonly base: URL;
  private readonly signer: RequestSigner | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  /** Typed from the OpenAPI document: a path, method, parameter or body the API lacks fails to compile. */
  private readonly api: Client<paths>;

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
    this.api = createClient<paths>({
      baseUrl: this.endpoint,
      fetch: (request) => this.send(request),
      headers: { accept: 'application/json' },
    });
  }

  listGroups(page: PageOptions = {}): Promise<ApiResponse<Schemas['GroupList']>> {
    return this.answer(this.api.GET('/groups', { params: { query: pageQuery(page) } }));
  }

  getGroup(id: string, options: { explain?: boolean } = {}): Promise<ApiResponse<Schemas['GroupDocument']>> {
    const query = options.explain ? { explain: true } : {};
    return this.answer(this.api.GET('/groups/{id}', { params: { path: { id }, query } }));
  }

  /** Stores the spec in `text`. */
  async putGroup(
    id: string,
    text: string,
    options: Omit<PutOptions, 'pretend'>,
  ): Promise<ApiResponse<Schemas['StoredGroup']>> {
    const res = await this.put(id, text, options);
    if ('pretend' in res.body) throw new Error(`${this.endpoint} answered a plan to a PUT without pretend`);
    return { ...res, body: res.body };
  }

  /** The plan of the spec in `text` against the live instances; nothing is stored. */
  async pretendPutGroup(
    id: string,
    text: string,
    options: Omit<PutOptions, 'pretend'>,
  ): Promise<ApiResponse<Schemas['PretendResponse']>> {
    const res = await this.put(id, text, { ...options, pretend: true });
    if (!('pretend' in res.body)) throw new Error(`${this.endpoint} stored the spec of a PUT with pretend`);
    return { ...res, body: res.body };
  }

  /** `text` goes as is (JSON, YAML or InfraKit format): the API parses and admits it. */
  private put(
    id: string,
    text: string,
    options: PutOptions,
  ): Promise<ApiResponse<Schemas['StoredGroup'] | Schemas['PretendResponse']>> {
    const header = {
      ...(options.ifMatch ? { 'If-Match': options.ifMatch } : {}),
      ...(options.createOnly ? { 'If-None-Match': '*' } : {}),
    };
    return this.answer(
      this.api.PUT('/groups/{id}', {
        params: { path: { id }, header, query: options.pretend ? { pretend: true } : {} },
        // The document types the parsed body; the file's own text is what is sent.
        body: text as unknown as Schemas['PutGroupRequest'],
        bodySerializer: () => text,
        headers: { 'content-type': options.contentType },
      }),
    );
  }

  /** With `ifMatch`, only while the group is still at that ETag (else a 412 `ApiError`). */
  setSize(
    id: string,
    size: number,
    options: { ifMatch?: string } = {},
  ): Promise<ApiResponse<Schemas['StoredGroup']>> {
    const header = options.ifMatch ? { 'If-Match': options.ifMatch } : {};
    return this.answer(
      this.api.PATCH('/groups/{id}/size', { params: { path: { id }, header }, body: { size } }),
    );
  }

  /** `pause` / `resume` the group, or with `rollout` only its rollout. */
  setPaused(
    id: string,
    verb: 'pause' | 'resume',
    rollout: boolean,
  ): Promise<ApiResponse<Schemas['StoredGroup']>> {
    const params = { path: { id }, query: rollout ? { rollout: true } : {} };
    return this.answer(
      verb === 'pause'
        ? this.api.POST('/groups/{id}/pause', { params })
        : this.api.POST('/groups/{id}/resume', { params }),
    );
  }

  reconcile(id: string): Promise<ApiResponse<Schemas['ReconcileResult'] | Schemas['ReconcileRequested']>> {
    return this.answer(this.api.POST('/groups/{id}/reconcile', { params: { path: { id } } }));
  }

  complete(
    id: string,
    instanceId: string,
    result: 'continue' | 'abandon',
  ): Promise<ApiResponse<Schemas['CompleteResponse']>> {
    return this.answer(
      this.api.POST('/groups/{id}/instances/{instanceId}/complete', {
        params: { path: { id, instanceId } },
        body: { result },
      }),
    );
  }

  free(id: string): Promise<ApiResponse<Schemas['FreeResponse']>> {
    return this.answer(this.api.POST('/groups/{id}/free', { params: { path: { id } } }));
  }

  destroy(
    id: string,
    options: { deleteVolumes?: boolean } = {},
  ): Promise<ApiResponse<Schemas['DestroyResponse']>> {
    const query = options.deleteVolumes ? { deleteVolumes: true } : {};
    return this.answer(this.api.DELETE('/groups/{id}', { params: { path: { id }, query } }));
  }

  events(id: string, page: PageOptions = {}): Promise<ApiResponse<Schemas['EventPage']>> {
    return this.answer(
      this.api.GET('/groups/{id}/events', { params: { path: { id }, query: pageQuery(page) } }),
    );
  }

  history(id: string, page: PageOptions = {}): Promise<ApiResponse<Schemas['HistoryPage']>> {
    return this.answer(
      this.api.GET('/groups/{id}/history', { params: { path: { id }, query: pageQuery(page) } }),
    );
  }

  rollback(id: string, version: number): Promise<ApiResponse<Schemas['StoredGroup']>> {
    return this.answer(
      this.api.POST('/groups/{id}/rollback', { params: { path: { id } }, body: { version } }),
    );
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

  /**
   * The transport under the typed client, and under `infrakit console`'s proxy: signs (SigV4 unless
   * on loopback), bounds the wait, and names a failure to connect (`UnreachableError`).
   */
  async send(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const text = request.body ? await request.text() : undefined;
    const body = text === '' ? undefined : text;
    let headers: Record<string, string> = Object.fromEntries(request.headers);
    if (this.signer) {
      headers = await this.sign(this.signer, {
        method: request.method,
        url,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
    }
    try {
      return await this.fetchFn(url, {
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new UnreachableError(this.endpoint, networkReason(err), { cause: err });
    }
  }

  /** The body of a 2xx answer; `ApiError` for any other. */
  private async answer<T>(call: Promise<Answer<T>>): Promise<ApiResponse<T>> {
    const { data, error, response } = await call;
    if (!response.ok) return Promise.reject(toApiError(response.status, error));
    const etag = response.headers.get('etag') ?? undefined;
    return { status: response.status, body: data as T, ...(etag ? { etag } : {}) };
  }
}

function pageQuery(page: PageOptions): { limit?: number; cursor?: string } {
  return {
    ...(page.limit !== undefined ? { limit: page.limit } : {}),
    ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
  };
}

/** `parsed` is the JSON error body, or its text when it was not JSON (openapi-fetch's error). */
function toApiError(status: number, parsed: unknown): ApiError {
  const text = typeof parsed === 'string' ? parsed : '';
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
