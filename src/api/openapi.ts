import * as z from 'zod';
import { GroupSpecSchema } from '../spec/schema.js';
import {
  CompleteRequestSchema,
  CompleteResponseSchema,
  DestroyResponseSchema,
  ErrorResponseSchema,
  EventPageSchema,
  FreeResponseSchema,
  GroupDocumentSchema,
  GroupListSchema,
  GroupStatusSchema,
  GroupSummarySchema,
  HistoryPageSchema,
  InstanceStatusSchema,
  PlanSchema,
  PretendResponseSchema,
  PutGroupRequestSchema,
  ReconcileRequestedSchema,
  ReconcileResultSchema,
  RollbackRequestSchema,
  SizeRequestSchema,
  StoredGroupSchema,
} from './schemas.js';

/**
 * The OpenAPI 3.1 document of the API, generated from the zod schemas that validate requests and
 * describe responses (JSON Schema 2020-12 is OpenAPI 3.1's schema dialect).
 */

type Json = Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function componentSchemas(): Json {
  const registry = z.registry<{ id: string }>();
  const named: [string, z.ZodType][] = [
    ['GroupSpec', GroupSpecSchema],
    ['Error', ErrorResponseSchema],
    ['StoredGroup', StoredGroupSchema],
    ['InstanceStatus', InstanceStatusSchema],
    ['GroupStatus', GroupStatusSchema],
    ['GroupDocument', GroupDocumentSchema],
    ['DestroyResponse', DestroyResponseSchema],
    ['GroupSummary', GroupSummarySchema],
    ['GroupList', GroupListSchema],
    ['Plan', PlanSchema],
    ['PretendResponse', PretendResponseSchema],
    ['ReconcileResult', ReconcileResultSchema],
    ['ReconcileRequested', ReconcileRequestedSchema],
    ['EventPage', EventPageSchema],
    ['HistoryPage', HistoryPageSchema],
    ['FreeResponse', FreeResponseSchema],
    ['CompleteRequest', CompleteRequestSchema],
    ['CompleteResponse', CompleteResponseSchema],
    ['SizeRequest', SizeRequestSchema],
    ['RollbackRequest', RollbackRequestSchema],
  ];
  for (const [id, schema] of named) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  }) as { schemas: Record<string, Json> };
  // What PUT accepts: a spec as users write it (defaults may be omitted; the stored GroupSpec has
  // them filled in), with `id` optional (taken from the path).
  schemas.PutGroupRequest = z.toJSONSchema(PutGroupRequestSchema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  return Object.fromEntries(
    Object.entries(schemas).map(([name, { $schema: _s, $id: _i, ...rest }]) => [name, rest]),
  );
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});

const jsonResponse = (description: string, schema: string, headers?: Json) => ({
  description,
  content: { 'application/json': { schema: ref(schema) } },
  ...(headers ? { headers } : {}),
});

const etagHeader = {
  ETag: { description: 'Entity tag of the stored version', required: true, schema: { type: 'string' } },
};
/** `POST /groups/{id}/pause` and `…/resume`, which differ only in the flag they write. */
function pausePath(verb: 'pause' | 'resume') {
  const title = verb === 'pause' ? 'Pause' : 'Resume';
  return {
    parameters: [idParam],
    post: {
      operationId: `${verb}Group`,
      summary: `${title} the group (paused), or with rollout=true only its rollout (update.paused)`,
      parameters: [
        ifMatch,
        {
          name: 'rollout',
          in: 'query',
          required: false,
          description:
            verb === 'pause'
              ? 'Pause only the rollout: no outdated instance is replaced; healing and scaling go on'
              : 'Resume only the rollout',
          schema: { type: 'boolean' },
        },
      ],
      responses: {
        '200': jsonResponse('Stored (a new version, or unchanged)', 'StoredGroup', etagHeader),
        '400': errorResponse('rollout is not true or false'),
        '409': errorResponse('Being destroyed'),
        '412': errorResponse('Stale If-Match'),
        ...common,
      },
    },
  };
}

const pretendEtagHeader = {
  ETag: {
    description: 'Entity tag of the stored version (absent with pretend=true: nothing is stored)',
    required: false,
    schema: { type: 'string' },
  },
};
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Group id',
  schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
};
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'Only change the group when it is still at this ETag (412 otherwise)',
  schema: { type: 'string' },
};
const ifNoneMatch = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: '`*`: create only (412 when the group exists)',
  schema: { type: 'string' },
};
const pageParams = [
  { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } },
  {
    name: 'cursor',
    in: 'query',
    required: false,
    description: 'From `next` of the previous page',
    schema: { type: 'string' },
  },
];

const common = {
  '404': errorResponse('Unknown group or route'),
  '405': errorResponse('Method not allowed on this path (see the Allow header)'),
  '500': errorResponse('Internal error (details are in the controller logs)'),
};
const withBody = {
  '400': errorResponse('Invalid request or spec; `issues` names each field'),
  '413': errorResponse('Body over 256 KiB'),
  '415': errorResponse('Body is neither JSON nor YAML'),
};
/** Writes whose spec is checked by the provider's and flavor's backends (a plugin's Validate). */
const checkedSpec = {
  '503': errorResponse(
    'A check of the spec could not be made (a plugin or provider API did not answer); nothing was written, `issues` names the unchecked fields; retry after Retry-After',
  ),
};
const specBody = (name: string, description: string) => ({
  required: true,
  description,
  content: {
    'application/json': { schema: ref(name) },
    'application/yaml': { schema: ref(name) },
  },
});

function paths(): Json {
  return {
    '/groups': {
      get: {
        operationId: 'listGroups',
        summary: 'List groups with a status summary',
        parameters: pageParams,
        responses: {
          '200': jsonResponse('A page of groups', 'GroupList'),
          '400': errorResponse('Bad query'),
          ...common,
        },
      },
    },
    '/groups/{id}': {
      parameters: [idParam],
      get: {
        operationId: 'getGroup',
        summary: 'Spec, version, ETag and live status',
        parameters: [
          {
            name: 'explain',
            in: 'query',
            required: false,
            description: "Add the planner's reasoning per instance to the status",
            schema: { type: 'boolean' },
          },
        ],
        responses: {
          '200': jsonResponse('The group', 'GroupDocument', etagHeader),
          '400': errorResponse('explain is not true or false'),
          ...common,
        },
      },
      put: {
        operationId: 'putGroup',
        summary: 'Create or replace the spec (JSON, YAML or InfraKit format)',
        parameters: [
          ifMatch,
          ifNoneMatch,
          {
            name: 'pretend',
            in: 'query',
            required: false,
            description: 'Return the plan against the live instances and save nothing',
            schema: { type: 'boolean' },
          },
        ],
        requestBody: specBody(
          'PutGroupRequest',
          'The group spec; `id` may be omitted (taken from the path). A group in InfraKit format (`ID`, `Properties`) is accepted too and converted.',
        ),
        responses: {
          '200': {
            description: 'Replaced (or unchanged), or the plan when pretend=true',
            headers: pretendEtagHeader,
            content: {
              'application/json': { schema: { oneOf: [ref('StoredGroup'), ref('PretendResponse')] } },
            },
          },
          '201': jsonResponse('Created', 'StoredGroup', etagHeader),
          '409': errorResponse('The group is being destroyed'),
          '412': errorResponse('Stale If-Match, or If-None-Match: * on an existing group'),
          ...withBody,
          ...checkedSpec,
          ...common,
        },
      },
      delete: {
        operationId: 'destroyGroup',
        summary: 'Terminate the instances, then remove the group',
        parameters: [
          ifMatch,
          {
            name: 'deleteVolumes',
            in: 'query',
            required: false,
            description:
              'Also delete what the pets keep across replacement (volumes, network interfaces, Elastic IPs the group allocated), once the instances are gone. By default they are kept, and the response lists them.',
            schema: { type: 'boolean' },
          },
        ],
        responses: {
          '202': jsonResponse(
            'Destroying; `kept` lists what stays, `deleting` what goes',
            'DestroyResponse',
            etagHeader,
          ),
          '412': errorResponse('Stale If-Match'),
          ...common,
        },
      },
    },
    '/groups/{id}/size': {
      parameters: [idParam],
      patch: {
        operationId: 'setGroupSize',
        summary: 'Set the size of a cattle group',
        parameters: [ifMatch],
        requestBody: specBody('SizeRequest', '`{ "size": n }`'),
        responses: {
          '200': jsonResponse('Stored', 'StoredGroup', etagHeader),
          '409': errorResponse('A pets group, or being destroyed'),
          '412': errorResponse('Stale If-Match'),
          ...withBody,
          ...common,
        },
      },
    },
    '/groups/{id}/pause': pausePath('pause'),
    '/groups/{id}/resume': pausePath('resume'),
    '/groups/{id}/reconcile': {
      parameters: [idParam],
      post: {
        operationId: 'reconcileGroup',
        summary: 'Reconcile now',
        responses: {
          '200': jsonResponse(
            'What the pass did (local mode, which runs the pass in the request)',
            'ReconcileResult',
          ),
          '202': jsonResponse(
            'A pass was requested from the reconciler (deployed: the API holds no launch or terminate rights; local: another reconciler held the lease)',
            'ReconcileRequested',
          ),
          ...common,
        },
      },
    },
    '/groups/{id}/free': {
      parameters: [idParam],
      post: {
        operationId: 'freeGroup',
        summary: 'Stop managing the group; its instances keep running and keep their tags',
        parameters: [ifMatch],
        responses: {
          '200': jsonResponse('Freed', 'FreeResponse'),
          '412': errorResponse('Stale If-Match'),
          ...common,
        },
      },
    },
    '/groups/{id}/instances/{instanceId}/complete': {
      parameters: [
        idParam,
        {
          name: 'instanceId',
          in: 'path',
          required: true,
          description: 'The instance whose lifecycle hook waits',
          schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' },
        },
      ],
      post: {
        operationId: 'completeLifecycleHook',
        summary: "Complete an instance's waiting lifecycle hook (launching or terminating)",
        requestBody: {
          ...specBody('CompleteRequest', '`{ "result": "continue" | "abandon" }`'),
          required: false,
        },
        responses: {
          '200': jsonResponse('Completed', 'CompleteResponse'),
          '409': errorResponse('No lifecycle hook waits for this instance'),
          ...withBody,
          ...common,
        },
      },
    },
    '/groups/{id}/events': {
      parameters: [idParam],
      get: {
        operationId: 'listGroupEvents',
        summary: 'The event log, newest first',
        parameters: pageParams,
        responses: {
          '200': jsonResponse('A page of events', 'EventPage'),
          '400': errorResponse('Bad query'),
          ...common,
        },
      },
    },
    '/groups/{id}/history': {
      parameters: [idParam],
      get: {
        operationId: 'listGroupVersions',
        summary: 'Stored spec versions, newest first',
        parameters: pageParams,
        responses: {
          '200': jsonResponse('A page of versions', 'HistoryPage'),
          '400': errorResponse('Bad query'),
          ...common,
        },
      },
    },
    '/groups/{id}/rollback': {
      parameters: [idParam],
      post: {
        operationId: 'rollbackGroup',
        summary: 'Store a past version as the new current spec',
        parameters: [ifMatch],
        requestBody: specBody('RollbackRequest', '`{ "version": n }`'),
        responses: {
          '200': jsonResponse('Stored', 'StoredGroup', etagHeader),
          '409': errorResponse('The group is being destroyed'),
          '412': errorResponse('Stale If-Match'),
          ...withBody,
          ...checkedSpec,
          ...common,
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': {} } } },
      },
    },
  };
}

/**
 * Every operation may be refused before the API sees it: by API Gateway without a valid SigV4
 * signature (its own `{ message }` body), or in local mode by the loopback guard for a foreign
 * Host or Origin (the error shape). Added to each operation here, so a new route cannot miss it.
 */
const forbidden = {
  description:
    'Deployed: no valid SigV4 signature, or no execute-api:Invoke permission (API Gateway answers `{ message }`). Local mode: a foreign Host or Origin.',
  content: {
    'application/json': {
      schema: {
        anyOf: [
          ref('Error'),
          { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
        ],
      },
    },
  },
};

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

function withForbidden(documented: Json): Json {
  return Object.fromEntries(
    Object.entries(documented).map(([path, item]) => {
      const operations = { ...(item as Json) };
      for (const method of METHODS) {
        const op = operations[method] as { responses: Json } | undefined;
        if (op) operations[method] = { ...op, responses: { '403': forbidden, ...op.responses } };
      }
      return [path, operations];
    }),
  );
}

const SIGV4 = 'sigv4';

let cached: Json | undefined;

/** The OpenAPI 3.1 document (built once per process). */
export function openApiDocument(): Json {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'InfraKit-serverless API',
      version: '1.0.0',
      description:
        'Declarative groups of instances, reconciled without a leader. Errors are `{ error: { code, message, issues? } }`. ' +
        'Deployed, every request is signed with AWS SigV4 (service `execute-api`); local mode listens on loopback only and needs no signature.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: "A deployed stack's HTTP API (the stack output `ApiUrl`)",
        variables: {
          apiId: { default: 'abc123', description: 'The HTTP API id' },
          region: { default: 'us-east-1', description: 'The AWS region of the stack' },
        },
      },
      { url: 'http://127.0.0.1:8787', description: 'Local mode (`npm start`), no signature' },
    ],
    security: [{ [SIGV4]: [] }],
    paths: withForbidden(paths()),
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        [SIGV4]: {
          // OpenAPI has no SigV4 scheme type; API Gateway's own exports describe IAM auth this way.
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description:
            'AWS Signature Version 4 for service `execute-api` (IAM authorization): sign with credentials allowed execute-api:Invoke on the API.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
  return cached;
}
