// The OpenAPI 3.1 document of the API, built from this one description and written to
// openapi/openapi.json (`node scripts/openapi.mjs`). The tests check that the file is what
// this builds, and that every documented operation is routed (tests/openapi.test.mjs).

const uuid = { type: 'string', format: 'uuid' };
const text = (max = 255, min = 1) => ({ type: 'string', minLength: min, maxLength: max });
const int = (minimum, maximum) => ({ type: 'integer', minimum, maximum });
const num = { type: 'number', minimum: 0, maximum: 1e9 };
const date = { type: 'string', description: 'YYYY-MM-DD or RFC 3339', examples: ['2026-12-31'] };
const nullable = (s) => ({ anyOf: [s, { type: 'null' }] });
const obj = (properties, required = []) => ({ type: 'object', properties, required, additionalProperties: true });
const ref = (name) => ({ $ref: `#/components/schemas/${name}` });
const param = (name, schema, description, required = false) => ({ name, in: 'query', required, schema, description });
const idParam = (what) => param('id', uuid, `The ${what}'s id`, true);
const STATUS = ['not_started', 'in_progress', 'on_hold', 'completed'];

const listParams = (sorts, filters = []) => [
  param('limit', { type: 'integer', minimum: 1 }, 'Rows per page (default 100; more than 1000 is capped to 1000)'),
  param('offset', { type: 'integer', minimum: 0, maximum: 4294967295 }, 'Rows to skip'),
  param('sort_by', { type: 'string', enum: sorts }, 'Sort column'),
  param('sort_order', { type: 'string', enum: ['asc', 'desc'] }, 'Sort direction'),
  param('include_count', { type: 'boolean' }, 'Whether pagination.total is counted (default true)'),
  ...(sorts.includes('updated_at') ? [param('updated_since', date, 'Only records changed at or after this instant (ordered by change)')] : []),
  ...filters,
];

/** A JSON success envelope whose data is `data`. */
const success = (description, data = { type: 'object' }, status = '200') => ({
  [status]: { description, content: { 'application/json': { schema: { type: 'object', required: ['success', 'data'], properties: { success: { const: true }, data, meta: { type: 'object' } } } } } },
});
const errorOf = (description) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const ERRORS = {
  400: errorOf('Malformed request: JSON, query parameters (field details), Idempotency-Key'),
  401: errorOf('Missing, malformed, unknown or revoked credential'),
  402: errorOf('A plan quota would be exceeded (QUOTA_EXCEEDED)'),
  403: errorOf('The credential may not do this (FORBIDDEN)'),
  404: errorOf('No such record in the tenant, or no such route'),
  405: errorOf('Method not allowed (the Allow header lists the allowed ones)'),
  409: errorOf('Conflict: duplicate, state violation, concurrent change, Idempotency-Key in use'),
  412: errorOf('If-Match did not match the current ETag (PRECONDITION_FAILED)'),
  413: errorOf('Body over 1 MiB'),
  422: errorOf('Validation failed: every field error in details'),
  429: errorOf('Daily request limit reached (Retry-After)'),
  default: errorOf('Any other error, in the same envelope'),
};
const notModified = { 304: { description: 'Not modified (If-None-Match matched the ETag)' } };
const body = (schema) => ({ required: true, content: { 'application/json': { schema } } });

const op = (summary, { params = [], requestBody, responses, security = [{ apiKey: [] }], tags, extra = {} }) => ({
  summary, tags, parameters: params, ...(requestBody ? { requestBody } : {}), responses: { ...responses, ...ERRORS }, security, ...extra,
});

const a = (word) => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;

/** GET (list, or one by ?id=), POST, PATCH ?id=, DELETE ?id= of a resource. */
function resource(tag, { singular, plural, create, patch, sorts, filters = [], deletable = true, creatable = true }) {
  const get = op(`List ${plural}, or get one ${singular} by id`, {
    tags: [tag],
    params: [param('id', uuid, `Answer this ${singular} (data.${singular}) instead of a list`), ...listParams(sorts, filters)],
    responses: { ...success(`data.${plural} and data.pagination, or data.${singular}`), ...notModified },
  });
  const out = { get };
  if (creatable) out.post = op(`Create ${a(singular)}`, { tags: [tag], params: [idempotencyKey], requestBody: body(create), responses: success(`data.${singular}`, { type: 'object' }, '201') });
  if (patch) out.patch = op(`Change ${a(singular)}`, { tags: [tag], params: [idParam(singular), ifMatch], requestBody: body(patch), responses: success(`data.${singular}`) });
  if (deletable) out.delete = op(`Delete ${a(singular)}`, { tags: [tag], params: [idParam(singular)], responses: success('data.id and data.deleted') });
  return out;
}

const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]*\\S[\\x20-\\x7e]*$' }, description: 'Retries with the same key and body answer the first answer again (24 hours)' };
const ifMatch = { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'The ETag last read: 412 if the record changed since' };

const operationIn = {
  operation_name: text(), sequence: int(1, 1000000000), cell_id: uuid, cell_name: text(), estimated_time: num, setup_time_minutes: num,
  assigned_operator_id: uuid, instructions: text(10000, 0), notes: text(10000, 0), status: { type: 'string', enum: STATUS },
};
const partIn = {
  part_number: text(), quantity: int(1, 1000000000), material: text(), material_id: uuid, description: text(10000, 0), notes: text(10000, 0),
  drawing_url: text(2048), step_file_url: text(2048), metadata: { type: 'object' }, file_paths: { type: 'array', items: { type: 'string' } },
  parent_part_number: text(), operations: { type: 'array', items: obj(operationIn, ['operation_name']) },
};
const jobIn = {
  job_number: text(), customer: text(), due_date: date, due_date_override: date, priority: int(0, 100), description: text(10000, 0),
  notes: text(10000, 0), metadata: { type: 'object' }, status: { type: 'string', enum: STATUS }, current_cell_id: uuid,
  parts: { type: 'array', minItems: 1, items: obj(partIn, ['part_number', 'quantity']) },
};

/** ERP sync paths of a synced entity. Fields other than the keys may be null (null clears). */
function sync(tag, singular, item) {
  const fields = Object.fromEntries(Object.entries(item.properties).map(([k, v]) => [k, k.endsWith('external_id') || k === 'parts' || k === 'operations' ? v : nullable(v)]));
  const keyed = { external_id: text(), external_source: text(64), ...fields };
  const one = obj(keyed, ['external_id']);
  // A bulk item without its external id is answered as that item's error, not refused.
  const item_ = obj(keyed);
  return {
    sync: { put: op(`Upsert one ${singular} by external id`, { tags: [tag], requestBody: body(one), responses: { ...success(`data.${singular}: {status, id, records}`), ...success('Created', { type: 'object' }, '201') } }) },
    bulk: {
      post: op(`Upsert up to 1,000 ${singular}s by external id, answering per item`, {
        tags: [tag], params: [idempotencyKey],
        requestBody: body(obj({ items: { type: 'array', minItems: 1, maxItems: 1000, items: item_ } }, ['items'])),
        responses: success('data.results (per item: created, updated, unchanged or error) and data.summary'),
      }),
    },
  };
}

const lifecycle = (tag, what, actions, extraParams = []) =>
  Object.fromEntries(actions.map((a) => [a, { post: op(`${a[0].toUpperCase()}${a.slice(1)} the ${what}`, { tags: [tag], params: [idParam(what), idempotencyKey, ...extraParams], responses: success('The transition: previous_status, new_status and the record') }) }]));

/** The event types a webhook may subscribe to (eryxon_domain::webhooks::EVENT_TYPES). */
export const EVENT_TYPES = [
  'job.created', 'job.started', 'job.stopped', 'job.resumed', 'job.completed', 'job.updated',
  'part.created', 'part.updated', 'part.started', 'part.completed',
  'operation.started', 'operation.paused', 'operation.resumed', 'operation.completed',
  'batch.started', 'batch.completed', 'issue.created', 'ncr.created', 'ncr.verified', 'step.added', 'step.completed',
];

export function document() {
  const paths = {};
  const add = (path, item) => (paths[`/functions/v1/${path}`] = item);

  const jobs = resource('Jobs', {
    singular: 'job', plural: 'jobs', create: obj(jobIn, ['job_number', 'parts']),
    patch: obj({ status: jobIn.status, customer: nullable(text()), due_date: nullable(date), due_date_override: nullable(date), notes: nullable(text(10000, 0)), metadata: nullable({ type: 'object' }), priority: nullable(int(0, 100)), description: nullable(text(10000, 0)) }),
    sorts: ['created_at', 'updated_at', 'job_number', 'customer', 'due_date', 'status', 'priority'],
    filters: [param('status', { type: 'string', enum: STATUS }, 'Status'), param('customer', text(255, 0), 'Customer (partial)'), param('job_number', text(255, 0), 'Job number (partial)')],
  });
  add('api-jobs', jobs);
  const syncOperation = { operation_name: text(), sequence: int(1, 1000000000), estimated_time: num, setup_time_minutes: num, instructions: text(10000, 0), notes: text(10000, 0), cell_id: uuid, cell_name: text() };
  const syncPart = { part_number: text(), quantity: int(1, 1000000000), material: text(), description: text(10000, 0), notes: text(10000, 0), drawing_url: text(2048), step_file_url: text(2048), metadata: { type: 'object' } };
  const nested = (props, children) => ({ ...props, ...children });
  const clearable = (props) => Object.fromEntries(Object.entries(props).map(([k, v]) => [k, nullable(v)]));
  const syncOps = { operations: { type: 'array', items: obj({ external_id: text(), external_source: text(64), ...clearable(syncOperation) }) } };
  const syncJob = { job_number: text(), customer: text(), priority: int(0, 100), due_date: date, due_date_override: date, description: text(10000, 0), notes: text(10000, 0), metadata: { type: 'object' } };
  const jobSync = sync('Jobs', 'job', obj(nested(syncJob, { parts: { type: 'array', items: obj({ external_id: text(), external_source: text(64), ...clearable(syncPart), ...syncOps }) } })));
  add('api-jobs/sync', jobSync.sync);
  add('api-jobs/bulk-sync', jobSync.bulk);

  add('api-parts', resource('Parts', {
    singular: 'part', plural: 'parts', create: obj({ job_id: uuid, ...partIn, parent_part_id: uuid, status: { type: 'string', enum: STATUS }, current_cell_id: uuid }, ['job_id', 'part_number', 'quantity']),
    patch: obj({ part_number: text(), quantity: int(1, 1000000000), material: nullable(text()), notes: nullable(text(10000, 0)), description: nullable(text(10000, 0)), metadata: nullable({ type: 'object' }) }),
    sorts: ['created_at', 'part_number', 'updated_at', 'quantity', 'status'],
    filters: [param('job_id', { type: 'string' }, 'Job'), param('status', { type: 'string', enum: STATUS }, 'Status'), param('part_number', text(255, 0), 'Part number (partial)'), param('material', text(255, 0), 'Material (partial)')],
  }));
  const partSync = sync('Parts', 'part', obj({ ...syncPart, ...syncOps, job_id: uuid, job_external_id: text(), job_external_source: text(64) }));
  add('api-parts/sync', partSync.sync);
  add('api-parts/bulk-sync', partSync.bulk);

  add('api-operations', resource('Operations', {
    singular: 'operation', plural: 'operations', create: obj({ part_id: uuid, ...operationIn }, ['part_id', 'operation_name', 'sequence']),
    patch: obj({ operation_name: text(), sequence: int(1, 1000000000), notes: nullable(text(10000, 0)), instructions: nullable(text(10000, 0)), estimated_time: nullable(num) }),
    sorts: ['created_at', 'sequence', 'estimated_time', 'actual_time', 'status', 'updated_at'],
    filters: [param('part_id', { type: 'string' }, 'Part'), param('job_id', { type: 'string' }, 'Job'), param('cell_id', { type: 'string' }, 'Cell'), param('status', { type: 'string', enum: STATUS }, 'Status')],
  }));
  const opSync = sync('Operations', 'operation', obj({ ...syncOperation, part_id: uuid, part_external_id: text(), part_external_source: text(64) }));
  add('api-operations/sync', opSync.sync);
  add('api-operations/bulk-sync', opSync.bulk);

  const cellIn = { name: text(), description: text(10000, 0), active: { type: 'boolean' } };
  add('api-cells', resource('Catalog', { singular: 'cell', plural: 'cells', create: obj(cellIn, ['name']), patch: obj(cellIn), sorts: ['name', 'created_at', 'updated_at'] }));
  const cellSync = sync('Catalog', 'cell', obj(cellIn));
  add('api-cells/sync', cellSync.sync);
  add('api-cells/bulk-sync', cellSync.bulk);
  add('api-materials', resource('Catalog', { singular: 'material', plural: 'materials', create: obj({ name: text(), description: text(10000, 0) }, ['name']), patch: obj({ name: text(), description: text(10000, 0) }), sorts: ['name', 'created_at', 'updated_at'] }));
  const operatorIn = { full_name: text(), employee_id: text(64), email: text(320, 3), role: { type: 'string', enum: ['operator'] }, active: { type: 'boolean' } };
  add('api-operators', resource('Catalog', { singular: 'operator', plural: 'operators', create: obj(operatorIn, ['full_name']), patch: obj(operatorIn), sorts: ['full_name', 'employee_id', 'created_at', 'updated_at'] }));
  add('api-substeps', resource('Shop floor', { singular: 'substep', plural: 'substeps', create: obj({ operation_id: uuid, description: text(10000), sequence: int(1, 1000000000), notes: text(10000, 0) }, ['operation_id', 'description', 'sequence']), patch: obj({ description: text(10000), completed: { type: 'boolean' }, notes: nullable(text(10000, 0)) }), sorts: ['sequence', 'created_at', 'completed_at', 'updated_at'] }));

  for (const [action, item] of Object.entries(lifecycle('Shop floor', 'job', ['start', 'stop', 'resume', 'complete']))) add(`api-job-lifecycle/${action}`, item);
  for (const [action, item] of Object.entries(lifecycle('Shop floor', 'operation', ['start', 'pause', 'resume', 'complete'], [param('user_id', uuid, 'The operator (default: the assigned one)')]))) add(`api-operation-lifecycle/${action}`, item);
  add('api-time-entries', resource('Shop floor', { singular: 'time_entry', plural: 'time_entries', creatable: false, deletable: false, sorts: ['start_time', 'end_time', 'duration'] }));
  add('api-batches', resource('Batches', { singular: 'batch', plural: 'batches', create: obj({ batch_number: text(), batch_type: text(64), cell_id: uuid, material: text(), thickness_mm: num, notes: text(10000, 0), operation_ids: { type: 'array', items: uuid, maxItems: 1000 } }, ['batch_number']), patch: obj({ notes: nullable(text(10000, 0)), material: nullable(text()) }), sorts: ['created_at', 'batch_number', 'status', 'started_at', 'updated_at'] }));
  for (const [action, item] of Object.entries(lifecycle('Batches', 'batch', ['start', 'stop'], [param('operator_id', uuid, 'The operator')]))) add(`api-batch-lifecycle/${action}`, item);
  add('api-issues', resource('Quality', { singular: 'issue', plural: 'issues', create: obj({ operation_id: uuid, title: text(), description: text(10000, 0), severity: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] }, issue_type: { type: 'string', enum: ['general', 'ncr'] } }, ['operation_id', 'title']), patch: obj({ status: { type: 'string' }, resolution_notes: nullable(text(10000, 0)) }), sorts: ['created_at', 'updated_at', 'status', 'ncr_number'] }));

  const webhookIn = { url: { type: 'string', format: 'uri' }, events: { type: 'array', minItems: 1, items: { type: 'string', enum: EVENT_TYPES } }, active: { type: 'boolean' }, description: text(10000, 0) };
  add('api-webhooks', resource('Webhooks', { singular: 'webhook', plural: 'webhooks', create: obj(webhookIn, ['url', 'events']), patch: obj(webhookIn), sorts: ['created_at', 'url', 'updated_at'] }));
  add('api-webhooks/rotate-secret', { post: op('Rotate a webhook\'s secret (the old one keeps signing for a grace period)', { tags: ['Webhooks'], params: [idParam('webhook'), idempotencyKey], responses: success('data.webhook with the new secret') }) });
  add('api-webhooks/test', { post: op('Send a test event', { tags: ['Webhooks'], params: [idParam('webhook'), idempotencyKey], responses: success('The attempt') }) });
  add('api-webhooks/redeliver', { post: op('Deliver a failed delivery again', { tags: ['Webhooks'], params: [idParam('delivery'), idempotencyKey], responses: success('The delivery') }) });
  add('api-webhooks/deliveries', { get: op('List deliveries', { tags: ['Webhooks'], params: listParams(['created_at', 'updated_at']), responses: { ...success('data.deliveries'), ...notModified } }) });
  add('api-webhooks/logs', { get: op('List delivery attempts', { tags: ['Webhooks'], params: listParams(['created_at']), responses: { ...success('data.attempts'), ...notModified } }) });

  add('api-usage', { get: op('Requests per day and quota use', { tags: ['Account'], params: [param('from', date, 'First day'), param('to', date, 'Last day')], responses: { ...success('Usage'), ...notModified } }) });
  add('api-deletions', { get: op('Deleted records, for incremental sync', { tags: ['Sync'], params: [param('since', date, 'Deleted at or after'), param('entity', { type: 'string', enum: ['job', 'part', 'operation', 'substep', 'cell', 'material', 'operator', 'issue', 'batch', 'webhook'] }, 'Entity'), ...listParams(['deleted_at'])], responses: { ...success('data.deletions'), ...notModified } }) });
  const mcp = op('Model Context Protocol (JSON-RPC over HTTP)', { tags: ['AI assistants'], requestBody: body({ type: 'object' }), responses: { 200: { description: 'A JSON-RPC answer', content: { 'application/json': { schema: { type: 'object' } } } }, 202: { description: 'A notification was accepted' } } });
  // Protocol errors are JSON-RPC error objects; authentication errors the usual envelope.
  for (const status of Object.keys(ERRORS)) mcp.responses[status] = { description: 'A JSON-RPC error, or the error envelope', content: { 'application/json': { schema: { type: 'object' } } } };
  add('mcp', { post: mcp });
  add('api-auth/sign-in', { post: op('Sign in: email and password for a session token', { tags: ['Admin'], security: [], requestBody: body(obj({ email: text(320, 3), password: text(1024), tenant_id: uuid }, ['email', 'password'])), responses: success('access_token, token_type, expires_in, expires_at, user') }) });
  add('api-keys', {
    get: op('List the tenant\'s API keys', { tags: ['Admin'], security: [{ session: [] }], responses: { ...success('data.api_keys'), ...notModified } }),
    post: op('Create an API key (shown once)', { tags: ['Admin'], security: [{ session: [] }], requestBody: body(obj({ name: text(100), mode: { type: 'string', enum: ['live', 'test'] } }, ['name'])), responses: success('data.api_key', { type: 'object' }, '201') }),
    delete: op('Revoke an API key', { tags: ['Admin'], security: [{ session: [] }], params: [idParam('API key')], responses: success('data.api_key') }),
  });
  add('api-export', {
    get: op('Export the tenant\'s data (streamed)', {
      tags: ['Admin'], security: [{ session: [] }],
      params: [param('format', { type: 'string', enum: ['json', 'csv'] }, 'json (default) or csv'), param('entities', { type: 'string' }, '`all` or a comma list (JSON)'), param('entity', { type: 'string' }, 'The one entity of a CSV export')],
      responses: { 200: { description: 'The export', content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } } } },
    }),
  });
  add('openapi.json', { get: op('This document', { tags: ['Meta'], security: [], responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } }) });

  return {
    openapi: '3.1.0',
    info: { title: 'Eryxon Flow API', version: '1.0.0', description: 'A 100% API-driven MES at the edge. Envelope: `{success, data, meta}`; errors `{success: false, error: {code, message, details, statusCode}}`. See docs/erp-integration.md.' },
    servers: [{ url: '/', description: 'The host serving this document' }],
    tags: ['Jobs', 'Parts', 'Operations', 'Catalog', 'Shop floor', 'Batches', 'Quality', 'Webhooks', 'Sync', 'Account', 'Admin', 'AI assistants', 'Meta'].map((name) => ({ name })),
    paths,
    webhooks: Object.fromEntries(
      EVENT_TYPES
        .map((type) => [type, { post: { summary: `${type} event`, requestBody: { content: { 'application/json': { schema: { allOf: [ref('Event'), { properties: { event_type: { const: type } } }] } } } }, responses: { 200: { description: 'Received (any 2xx)' } } } }]),
    ),
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'ery_live_... / ery_test_...', description: 'An API key' },
        session: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A signed-in user\'s session token (HS256; api-auth/sign-in or Supabase Auth)' },
      },
      schemas: {
        Error: {
          type: 'object', required: ['success', 'error'],
          properties: {
            success: { const: false },
            error: { type: 'object', required: ['code', 'message', 'statusCode'], properties: { code: { type: 'string' }, message: { type: 'string' }, statusCode: { type: 'integer' }, details: {} } },
          },
        },
        Event: {
          type: 'object', required: ['id', 'event_type', 'timestamp', 'tenant_id', 'api_version', 'data'],
          properties: { id: uuid, event_type: { type: 'string' }, timestamp: { type: 'string' }, tenant_id: uuid, api_version: { type: 'string' }, data: { type: 'object' } },
          description: 'Signed with X-Eryxon-Signature (hex HMAC-SHA256 of the body) and Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature)',
        },
      },
    },
  };
}
