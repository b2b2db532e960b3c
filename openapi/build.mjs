// The OpenAPI 3.1 document of the API, built from this one description and written to
// openapi/openapi.json (`node scripts/openapi.mjs`). The tests check that the file is what
// this builds, and that every documented operation is routed (tests/openapi.test.mjs).

const uuid = { type: 'string', format: 'uuid' };
// Text is trimmed before its length is checked (Rust's whitespace), so a required text needs
// a character outside that set.
const NON_BLANK = '[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const text = (max = 255, min = 1) => ({ type: 'string', minLength: min, maxLength: max, ...(min > 0 ? { pattern: NON_BLANK } : {}) });
const int = (minimum, maximum) => ({ type: 'integer', minimum, maximum });
const num = { type: 'number', minimum: 0, maximum: 1e9 };
const date = { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }], description: 'YYYY-MM-DD or RFC 3339', examples: ['2026-12-31'] };
const day = { type: 'string', format: 'date', description: 'YYYY-MM-DD', examples: ['2026-12-31'] };
const nullable = (s) => ({ anyOf: [s, { type: 'null' }] });
const obj = (properties, required = []) => ({ type: 'object', properties, required, additionalProperties: true });
/** A create body: optional fields may also be null, which means not given. */
const createOf = (properties, required = [], notNull = []) =>
  obj(Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, required.includes(k) || notNull.includes(k) ? v : nullable(v)])), required);
/** A PATCH body: at least one of its fields (others are ignored and listed in meta). */
const patchOf = (properties) => ({ ...obj(properties), anyOf: Object.keys(properties).map((k) => ({ required: [k] })) });
const ref = (name) => ({ $ref: `#/components/schemas/${name}` });
const param = (name, schema, description, required = false) => ({ name, in: 'query', required, schema, description });
const idParam = (what) => param('id', uuid, `The ${what}'s id`, true);
/** List filters naming a record by id: a UUID, or 400 naming the parameter. */
const idFilters = (...names) => names.map((n) => param(n, uuid, `Only those of this ${n.replace(/_id$/, '').replace(/_/g, ' ')}`));
const STATUS = ['not_started', 'in_progress', 'on_hold', 'completed'];

const listParams = (sorts, filters = []) => [
  param('limit', { type: 'integer', minimum: 1, maximum: 4294967295 }, 'Rows per page (default 100; more than 1000 is capped to 1000)'),
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
  429: errorOf('Daily request limit reached, or too many failed sign-ins for an email (Retry-After)'),
  default: errorOf('Any other error, in the same envelope'),
};
/** A stored record as answers show it: its id, and whatever else it holds. */
const record = { type: 'object', required: ['id'], properties: { id: uuid, created_at: { type: 'string' }, updated_at: { type: 'string' } } };
const pagination = obj({ limit: { type: 'integer' }, offset: { type: 'integer' }, total: { type: ['integer', 'null'] } }, ['limit', 'offset']);
/** `data.<name>`: one record. */
const one = (name) => obj({ [name]: record }, [name]);
/** `data.<plural>` and `data.pagination`: a page of records. */
const page = (plural, item = record) => obj({ [plural]: { type: 'array', items: item }, pagination }, [plural, 'pagination']);
const notModified = { 304: { description: 'Not modified (If-None-Match matched the ETag)' } };
const body = (schema) => ({ required: true, content: { 'application/json': { schema } } });

const op = (summary, { params = [], requestBody, responses, security = [{ apiKey: [] }], tags, extra = {} }) => ({
  summary, tags, parameters: params, ...(requestBody ? { requestBody } : {}), responses: { ...responses, ...ERRORS }, security, ...extra,
});

const a = (word) => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;

/** GET (list, or one by ?id=), POST, PATCH ?id=, DELETE ?id= of a resource. */
function resource(tag, { singular, plural, create, created, patch, sorts, filters = [], deletable = true, creatable = true }) {
  const get = op(`List ${plural}, or get one ${singular} by id`, {
    tags: [tag],
    params: [param('id', uuid, `Answer this ${singular} (data.${singular}) instead of a list`), ...listParams(sorts, filters)],
    responses: { ...success(`data.${plural} and data.pagination, or data.${singular}`, { anyOf: [page(plural), one(singular)] }), ...notModified },
  });
  const out = { get };
  if (creatable) out.post = op(`Create ${a(singular)}`, { tags: [tag], params: [idempotencyKey], requestBody: body(create), responses: success(`data.${singular}`, created ?? one(singular), '201') });
  if (patch) out.patch = op(`Change ${a(singular)}`, { tags: [tag], params: [idParam(singular), ifMatch], requestBody: body(patch), responses: success(`data.${singular}`, one(singular)) });
  if (deletable) out.delete = op(`Delete ${a(singular)}`, { tags: [tag], params: [idParam(singular)], responses: success('data.id and data.deleted', obj({ id: uuid, deleted: { const: true } }, ['id', 'deleted'])) });
  return out;
}

const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]*\\S[\\x20-\\x7e]*$' }, description: 'Retries with the same key and body answer the first answer again (24 hours)' };
const ifMatch = { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'The ETag last read: 412 if the record changed since' };

const operationIn = {
  operation_name: text(), sequence: int(1, 1000000), cell_id: uuid, cell_name: text(), estimated_time: num, setup_time_minutes: num,
  assigned_operator_id: uuid, instructions: text(100000, 0), notes: text(100000, 0), status: { type: 'string', enum: STATUS },
};
const partIn = {
  part_number: text(), quantity: int(1, 1000000000), material: text(255, 0), material_id: uuid, description: text(100000, 0), notes: text(100000, 0),
  drawing_url: text(2048, 0), step_file_url: text(2048, 0), metadata: { type: 'object' }, file_paths: { type: 'array', items: { type: 'string' } },
  parent_part_number: text(), operations: { type: 'array', items: createOf(operationIn, ['operation_name']) },
};
const jobIn = {
  job_number: text(), customer: text(255, 0), due_date: date, due_date_override: date, priority: int(0, 100), description: text(100000, 0),
  notes: text(100000, 0), metadata: { type: 'object' }, status: { type: 'string', enum: STATUS }, current_cell_id: uuid,
  parts: { type: 'array', minItems: 1, items: createOf(partIn, ['part_number', 'quantity']) },
};

/** Fields a sync item may not clear: the record's required and NOT NULL columns. */
const UNCLEARABLE = ['job_number', 'part_number', 'quantity', 'operation_name', 'sequence', 'name', 'active'];

/**
 * ERP sync paths of a synced entity. Fields other than the keys may be null (null clears),
 * except the required ones; a null external_source is the default source.
 */
function sync(tag, singular, item, parent) {
  const fields = Object.fromEntries(Object.entries(item.properties).map(([k, v]) => [k, k === 'parts' || k === 'operations' || UNCLEARABLE.includes(k) ? v : nullable(v)]));
  const item1 = obj({ external_id: text(), external_source: nullable(text(64)), ...fields }, ['external_id']);
  const synced = obj({ [singular]: obj({ id: uuid, status: { enum: ['created', 'updated', 'unchanged'] }, records: { type: 'array', items: obj({ entity: { type: 'string' }, id: uuid, status: { type: 'string' } }, ['entity', 'id', 'status']) } }, ['id', 'status', 'records']) }, [singular]);
  // A part names its job, an operation its part: by id or by external id.
  if (parent) {
    const [id, external] = [`${parent}_id`, `${parent}_external_id`];
    item1.anyOf = [{ required: [id], properties: { [id]: item.properties[id] } }, { required: [external], properties: { [external]: item.properties[external] } }];
  }
  // Each bulk item is validated on its own and answered in data.results (an invalid one is
  // that item's error, not the request's), so the request only requires objects.
  const item_ = { type: 'object', description: `A ${singular} as PUT /api-${singular === 'job' ? 'jobs' : `${singular}s`}/sync takes it; checked and answered per item` };
  return {
    sync: { put: op(`Upsert one ${singular} by external id`, { tags: [tag], requestBody: body(item1), responses: { ...success(`data.${singular}: {status, id, records}`, synced), ...success('Created', synced, '201') } }) },
    bulk: {
      post: op(`Upsert up to 1,000 ${singular}s by external id, answering per item`, {
        tags: [tag], params: [idempotencyKey],
        requestBody: body(obj({ items: { type: 'array', minItems: 1, maxItems: 1000, items: item_ } }, ['items'])),
        responses: success('data.results (per item: created, updated, unchanged or error) and data.summary', obj({ results: { type: 'array', items: obj({ index: { type: 'integer' }, status: { enum: ['created', 'updated', 'unchanged', 'error'] } }, ['index', 'status']) }, summary: { type: 'object' } }, ['results', 'summary'])),
      }),
    },
  };
}

const lifecycle = (tag, what, actions, extraParams = []) =>
  Object.fromEntries(actions.map((a) => [a, { post: op(`${a[0].toUpperCase()}${a.slice(1)} the ${what}`, { tags: [tag], params: [idParam(what), idempotencyKey, ...extraParams], responses: success('The transition: previous_status, new_status and the record', obj({ [what]: record }, [what])) }) }]));

/** What api-export can export (eryxon_domain::export::ENTITIES). */
const EXPORTED_NAMES = ['jobs', 'parts', 'operations', 'substeps', 'time_entries', 'batches', 'batch_operations', 'issues', 'cells', 'materials', 'operators', 'webhooks', 'ncr_sequences'];
const EXPORTED = `(${EXPORTED_NAMES.join('|')})`;

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
    singular: 'job', plural: 'jobs', create: createOf(jobIn, ['job_number', 'parts']),
    created: obj({
      job_id: uuid, job_number: { type: 'string' },
      parts: { type: 'array', items: obj({ part_id: uuid, part_number: { type: 'string' }, operations: { type: 'array', items: obj({ operation_id: uuid, operation_name: { type: 'string' } }, ['operation_id']) } }, ['part_id', 'operations']) },
    }, ['job_id', 'job_number', 'parts']),
    patch: patchOf({ status: jobIn.status, customer: nullable(text(255, 0)), due_date: nullable(date), due_date_override: nullable(date), notes: nullable(text(100000, 0)), metadata: nullable({ type: 'object' }), priority: nullable(int(0, 100)), description: nullable(text(100000, 0)) }),
    sorts: ['created_at', 'updated_at', 'job_number', 'customer', 'due_date', 'status', 'priority'],
    filters: [param('status', { type: 'string', enum: STATUS }, 'Status'), param('customer', text(255, 0), 'Customer (partial)'), param('job_number', text(255, 0), 'Job number (partial)')],
  });
  add('api-jobs', jobs);
  const syncOperation = { operation_name: text(), sequence: int(1, 1000000), estimated_time: num, setup_time_minutes: num, instructions: text(100000, 0), notes: text(100000, 0), cell_id: uuid, cell_name: text() };
  const syncPart = { part_number: text(), quantity: int(1, 1000000000), material: text(255, 0), description: text(100000, 0), notes: text(100000, 0), drawing_url: text(2048, 0), step_file_url: text(2048, 0), metadata: { type: 'object' } };
  const nested = (props, children) => ({ ...props, ...children });
  const clearable = (props) => Object.fromEntries(Object.entries(props).map(([k, v]) => [k, UNCLEARABLE.includes(k) ? v : nullable(v)]));
  const syncOps = { operations: { type: 'array', items: obj({ external_id: text(), external_source: nullable(text(64)), ...clearable(syncOperation) }, ['external_id']) } };
  const syncJob = { job_number: text(), customer: text(255, 0), priority: int(0, 100), due_date: date, due_date_override: date, description: text(100000, 0), notes: text(100000, 0), metadata: { type: 'object' } };
  const jobSync = sync('Jobs', 'job', obj(nested(syncJob, { parts: { type: 'array', items: obj({ external_id: text(), external_source: nullable(text(64)), ...clearable(syncPart), ...syncOps }, ['external_id']) } })));
  add('api-jobs/sync', jobSync.sync);
  add('api-jobs/bulk-sync', jobSync.bulk);

  add('api-parts', resource('Parts', {
    singular: 'part', plural: 'parts', create: createOf({ job_id: uuid, ...partIn, parent_part_id: uuid, status: { type: 'string', enum: STATUS }, current_cell_id: uuid }, ['job_id', 'part_number', 'quantity']),
    patch: patchOf({ part_number: text(), quantity: int(1, 1000000000), material: nullable(text(255, 0)), notes: nullable(text(100000, 0)), description: nullable(text(100000, 0)), metadata: nullable({ type: 'object' }) }),
    sorts: ['created_at', 'part_number', 'updated_at', 'quantity', 'status'],
    filters: [param('job_id', uuid, 'Job'), param('status', { type: 'string', enum: STATUS }, 'Status'), param('part_number', text(255, 0), 'Part number (partial)'), param('material', text(255, 0), 'Material (partial)'), ...idFilters('material_id', 'parent_part_id')],
  }));
  const partSync = sync('Parts', 'part', obj({ ...syncPart, ...syncOps, job_id: uuid, job_external_id: text(), job_external_source: text(64) }), 'job');
  add('api-parts/sync', partSync.sync);
  add('api-parts/bulk-sync', partSync.bulk);

  add('api-operations', resource('Operations', {
    singular: 'operation', plural: 'operations', create: createOf({ part_id: uuid, ...operationIn }, ['part_id', 'operation_name', 'sequence']),
    patch: patchOf({ operation_name: text(), sequence: int(1, 1000000), notes: nullable(text(100000, 0)), instructions: nullable(text(100000, 0)), estimated_time: nullable(num) }),
    sorts: ['created_at', 'sequence', 'estimated_time', 'actual_time', 'status', 'updated_at'],
    filters: [param('part_id', uuid, 'Part'), param('job_id', uuid, 'Job'), param('cell_id', uuid, 'Cell'), param('status', { type: 'string', enum: STATUS }, 'Status'), ...idFilters('assigned_operator_id')],
  }));
  const opSync = sync('Operations', 'operation', obj({ ...syncOperation, part_id: uuid, part_external_id: text(), part_external_source: text(64) }), 'part');
  add('api-operations/sync', opSync.sync);
  add('api-operations/bulk-sync', opSync.bulk);

  const cellIn = { name: text(), description: text(100000, 0), active: { type: 'boolean' } };
  add('api-cells', resource('Catalog', { singular: 'cell', plural: 'cells', create: createOf(cellIn, ['name']), patch: patchOf(cellIn), sorts: ['name', 'created_at', 'updated_at'] }));
  const cellSync = sync('Catalog', 'cell', obj(cellIn));
  add('api-cells/sync', cellSync.sync);
  add('api-cells/bulk-sync', cellSync.bulk);
  add('api-materials', resource('Catalog', { singular: 'material', plural: 'materials', create: createOf({ name: text(), description: text(100000, 0) }, ['name']), patch: patchOf({ name: text(), description: nullable(text(100000, 0)) }), sorts: ['name', 'created_at', 'updated_at'] }));
  const operatorIn = { full_name: text(), employee_id: text(64), email: text(320, 3), role: { type: 'string', enum: ['operator'] }, active: { type: 'boolean' } };
  add('api-operators', resource('Catalog', { singular: 'operator', plural: 'operators', create: createOf(operatorIn, ['full_name']), patch: patchOf(operatorIn), sorts: ['full_name', 'employee_id', 'created_at', 'updated_at'] }));
  add('api-substeps', resource('Shop floor', { singular: 'substep', plural: 'substeps', create: createOf({ operation_id: uuid, description: text(100000), sequence: int(1, 1000000), notes: text(100000, 0) }, ['operation_id', 'description', 'sequence']), patch: patchOf({ description: text(100000), completed: { type: 'boolean' }, notes: nullable(text(100000, 0)) }), sorts: ['sequence', 'created_at', 'completed_at', 'updated_at'], filters: idFilters('operation_id') }));

  for (const [action, item] of Object.entries(lifecycle('Shop floor', 'job', ['start', 'stop', 'resume', 'complete']))) add(`api-job-lifecycle/${action}`, item);
  for (const [action, item] of Object.entries(lifecycle('Shop floor', 'operation', ['start', 'pause', 'resume', 'complete'], [param('user_id', uuid, 'The operator (default: the assigned one; with neither, the work is unattended and its time is machine time)')]))) add(`api-operation-lifecycle/${action}`, item);
  add('api-time-entries', resource('Shop floor', { singular: 'time_entry', plural: 'time_entries', creatable: false, deletable: false, sorts: ['start_time', 'end_time', 'duration'], filters: idFilters('operation_id', 'operator_id', 'user_id', 'part_id', 'job_id') }));
  add('api-batches', resource('Batches', { singular: 'batch', plural: 'batches', create: createOf({ batch_number: text(), batch_type: { type: 'string', enum: ['laser_nesting', 'tube_batch', 'saw_batch', 'finishing_batch', 'general'] }, cell_id: uuid, material: text(255, 0), thickness_mm: { type: 'number', minimum: 0, maximum: 1e6 }, notes: text(100000, 0), operation_ids: { type: 'array', items: uuid, maxItems: 1000, uniqueItems: true } }, ['batch_number']), patch: patchOf({ notes: nullable(text(100000, 0)), material: nullable(text(255, 0)) }), sorts: ['created_at', 'batch_number', 'status', 'started_at', 'updated_at'], filters: idFilters('cell_id', 'parent_batch_id') }));
  const unattended = 'optional: without one the batch runs unattended and its time is machine time';
  for (const [action, item] of Object.entries(lifecycle('Batches', 'batch', ['start'], [param('operator_id', uuid, `The operator (${unattended})`), param('user_id', uuid, 'The same as operator_id')]))) add(`api-batch-lifecycle/${action}`, item);
  for (const [action, item] of Object.entries(lifecycle('Batches', 'batch', ['stop']))) add(`api-batch-lifecycle/${action}`, item);
  add('api-issues', resource('Quality', { singular: 'issue', plural: 'issues', create: createOf({ operation_id: uuid, title: text(), description: text(100000), severity: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] }, issue_type: { type: 'string', enum: ['general', 'ncr'] } }, ['operation_id', 'title']), patch: patchOf({ status: { type: 'string', enum: ['open', 'in_progress', 'resolved', 'closed'] }, resolution_notes: nullable(text(100000, 0)) }), sorts: ['created_at', 'updated_at', 'status', 'ncr_number'], filters: idFilters('operation_id', 'job_id') }));

  const webhookIn = { url: { type: 'string', format: 'uri', pattern: '^https://', maxLength: 2048, description: 'https, a public host (not private, loopback or link-local)' }, events: { type: 'array', minItems: 1, items: { type: 'string', enum: EVENT_TYPES } }, active: { type: 'boolean' }, description: text(1000, 0) };
  add('api-webhooks', resource('Webhooks', { singular: 'webhook', plural: 'webhooks', create: createOf(webhookIn, ['url', 'events'], ['active']), patch: patchOf({ ...webhookIn, description: nullable(webhookIn.description) }), sorts: ['created_at', 'url', 'updated_at'] }));
  add('api-webhooks/rotate-secret', { post: op('Rotate a webhook\'s secret (the old one keeps signing for a grace period)', { tags: ['Webhooks'], params: [idParam('webhook'), idempotencyKey], responses: success('data.webhook with the new secret', one('webhook')) }) });
  add('api-webhooks/test', { post: op('Send a test event', { tags: ['Webhooks'], params: [idParam('webhook'), idempotencyKey], responses: success('The test event, queued for delivery', obj({ event_id: uuid, event_type: { const: 'webhook.test' }, webhook_id: uuid }, ['event_id', 'webhook_id']), '201') }) });
  add('api-webhooks/redeliver', { post: op('Deliver a failed delivery again', { tags: ['Webhooks'], params: [idParam('delivery'), idempotencyKey], responses: success('The delivery, queued again', one('delivery')) }) });
  add('api-webhooks/deliveries', { get: op('List deliveries', { tags: ['Webhooks'], params: listParams(['created_at', 'updated_at']), responses: { ...success('data.deliveries', page('deliveries')), ...notModified } }) });
  add('api-webhooks/logs', { get: op('List delivery attempts', { tags: ['Webhooks'], params: listParams(['created_at']), responses: { ...success('data.attempts', page('attempts')), ...notModified } }) });

  add('api-usage', { get: op('Requests per day and quota use', { tags: ['Account'], params: [param('from', day, 'First day (default: 29 days before to)'), param('to', day, 'Last day (default: today)')], responses: { ...success('Usage'), ...notModified } }) });
  add('api-deletions', { get: op('Deleted records, for incremental sync', { tags: ['Sync'], params: [param('since', date, 'Deleted at or after'), param('entity', { type: 'string', enum: ['job', 'part', 'operation', 'substep', 'time_entry', 'cell', 'material', 'operator', 'issue', 'batch', 'webhook'] }, 'Entity'), ...listParams(['deleted_at'])], responses: { ...success('data.deletions', page('deletions', obj({ entity: { type: 'string' }, id: { type: 'string' }, deleted_at: { type: 'string' } }, ['entity', 'id', 'deleted_at']))), ...notModified } }) });
  const mcp = op('Model Context Protocol (JSON-RPC over HTTP)', { tags: ['AI assistants'], requestBody: body({ type: 'object' }), responses: { 200: { description: 'A JSON-RPC answer', content: { 'application/json': { schema: { type: 'object' } } } }, 202: { description: 'A notification was accepted' } } });
  // Protocol errors are JSON-RPC error objects; authentication errors the usual envelope.
  for (const status of Object.keys(ERRORS)) mcp.responses[status] = { description: 'A JSON-RPC error, or the error envelope', content: { 'application/json': { schema: { type: 'object' } } } };
  mcp.responses[401].description = 'No valid API key: the error envelope, before anything else is looked at (even invalid JSON or an unknown tool)';
  add('mcp', { post: mcp });
  add('api-auth/sign-in', { post: op('Sign in: email and password for a session token', { tags: ['Admin'], security: [], requestBody: body(createOf({ email: text(320, 3), password: text(1024), tenant_id: uuid }, ['email', 'password'])), responses: success('access_token, token_type, expires_in, expires_at, user') }) });
  add('api-keys', {
    get: op('List the tenant\'s API keys', { tags: ['Admin'], security: [{ session: [] }], responses: { ...success('data.api_keys'), ...notModified } }),
    post: op('Create an API key (shown once)', { tags: ['Admin'], security: [{ session: [] }], requestBody: body(createOf({ name: text(100), mode: { type: 'string', enum: ['live', 'test'] } }, ['name'])), responses: success('data.api_key', { type: 'object' }, '201') }),
    delete: op('Revoke an API key', { tags: ['Admin'], security: [{ session: [] }], params: [idParam('API key')], responses: success('data.api_key') }),
  });
  add('api-export', {
    get: op('Export the tenant\'s data (streamed)', {
      tags: ['Admin'], security: [{ session: [] }],
      params: [param('format', { type: 'string', enum: ['json', 'csv'] }, 'json (default) or csv'), param('entities', { type: 'string', pattern: `^(all|${EXPORTED}(,${EXPORTED})*)$` }, '`all` (default) or a comma list (JSON)'), param('entity', { type: 'string', enum: EXPORTED_NAMES }, 'The one entity of a CSV export')],
      responses: { 200: { description: 'The export', content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } } } },
    }),
  });
  add('openapi.json', { get: op('This document', { tags: ['Meta'], security: [], responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } }) });

  addLinks(paths);

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

/**
 * OpenAPI links: which answer's ids feed which request. Clients read them as the workflow,
 * and Schemathesis' stateful phase follows them (create a job, then start it, ...).
 */
function addLinks(paths) {
  const opRef = (path, method) => `#/paths/${`/functions/v1/${path}`.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}`;
  const link = (from, method, status, to, toMethod, spec) => {
    const answer = paths[`/functions/v1/${from}`][method].responses[status];
    const name = `${toMethod}:${to}`;
    answer.links = { ...answer.links, [name]: { operationRef: opRef(to, toMethod), ...spec } };
  };
  const id = (expr) => ({ parameters: { 'query.id': `$response.body#/data/${expr}` } });
  const field = (name, expr) => ({ requestBody: { [name]: `$response.body#/data/${expr}` } });
  const readChangeDelete = (path, expr, status = '201', from = path, method = 'post') => {
    for (const m of ['get', 'patch', 'delete']) if (paths[`/functions/v1/${path}`][m]) link(from, method, status, path, m, id(expr));
  };

  readChangeDelete('api-jobs', 'job_id');
  for (const action of ['start', 'stop', 'resume', 'complete']) link('api-jobs', 'post', '201', `api-job-lifecycle/${action}`, 'post', id('job_id'));
  link('api-jobs', 'post', '201', 'api-parts', 'post', field('job_id', 'job_id'));
  link('api-jobs', 'post', '201', 'api-operation-lifecycle/start', 'post', id('parts/0/operations/0/operation_id'));
  link('api-jobs', 'post', '201', 'api-batches', 'post', { requestBody: { operation_ids: ['$response.body#/data/parts/0/operations/0/operation_id'] } });
  for (const path of ['api-substeps', 'api-issues']) link('api-jobs', 'post', '201', path, 'post', field('operation_id', 'parts/0/operations/0/operation_id'));

  readChangeDelete('api-parts', 'part/id');
  link('api-parts', 'post', '201', 'api-operations', 'post', field('part_id', 'part/id'));
  readChangeDelete('api-operations', 'operation/id');
  for (const action of ['start', 'pause', 'resume', 'complete']) link('api-operations', 'post', '201', `api-operation-lifecycle/${action}`, 'post', id('operation/id'));
  for (const path of ['api-substeps', 'api-issues']) link('api-operations', 'post', '201', path, 'post', field('operation_id', 'operation/id'));

  for (const [path, singular] of [['api-cells', 'cell'], ['api-materials', 'material'], ['api-operators', 'operator'], ['api-substeps', 'substep'], ['api-batches', 'batch'], ['api-issues', 'issue'], ['api-webhooks', 'webhook']]) {
    readChangeDelete(path, `${singular}/id`);
  }
  link('api-cells', 'post', '201', 'api-batches', 'post', field('cell_id', 'cell/id'));
  for (const action of ['start', 'stop']) link('api-batches', 'post', '201', `api-batch-lifecycle/${action}`, 'post', id('batch/id'));
  for (const action of ['rotate-secret', 'test']) link('api-webhooks', 'post', '201', `api-webhooks/${action}`, 'post', id('webhook/id'));
  link('api-webhooks/deliveries', 'get', '200', 'api-webhooks/redeliver', 'post', id('deliveries/0/id'));
  for (const [path, singular] of [['api-jobs', 'job'], ['api-parts', 'part'], ['api-operations', 'operation'], ['api-cells', 'cell']]) {
    for (const status of ['200', '201']) link(`${path}/sync`, 'put', status, path, 'get', id(`${singular}/id`));
  }
  link('api-keys', 'post', '201', 'api-keys', 'delete', id('api_key/id'));
}
