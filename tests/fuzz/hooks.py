"""Schemathesis hooks for the fuzzing step of `npm test` (see schemathesis.toml beside it).

Every default check stays on. These hooks model two things a schema cannot say:
- An Idempotency-Key is unique to one request. Schemathesis draws short keys ("0") again and
  again for different bodies, which the API rightly refuses (422, draft-ietf-httpapi-
  idempotency-key-header). Each key is made unique to its method, path, query and body, so a
  repeated request still replays its first answer and a different one gets a fresh key.
- Some schema-valid requests are refused because of other records, of the request as a
  whole or of two fields together: an id that names nothing in the tenant, a value another
  record or item holds, an operation without an assigned operator, a sync item that would
  create a record without its required fields, a date range backwards, an If-Match tag of
  another version, a body over 1 MiB. Only those refusals are dropped, and only when every
  error detail the answer gives is one of them; any other refusal of valid data still fails
  the run. The summary counts what was dropped.
"""

import hashlib
import json
import re

import schemathesis

# The Idempotency-Key header's schema in openapi/openapi.json.
VALID_KEY = re.compile(r"^[\x20-\x7e]*\S[\x20-\x7e]*$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if not isinstance(key, str) or not VALID_KEY.match(key) or len(key) > 255:
        return
    request = json.dumps([case.method, case.path, case.query, case.body], sort_keys=True, default=str)
    headers["Idempotency-Key"] = f"{key[:200]}.{hashlib.sha256(request.encode()).hexdigest()[:32]}"
    case.headers = headers


def _depends_on_other_data(case, detail):
    """Whether an error detail is a rule about other records or about two fields together."""
    constraint, field = detail.get("constraint"), str(detail.get("field", ""))
    # An id that names no record in the tenant (the reference's FK_CONSTRAINT, 422).
    if constraint == "FK_CONSTRAINT":
        return True
    # A value already taken: by another record, or by another item of the same body (two parts
    # of one job with one part number). JSON Schema cannot say "unique by this property".
    if constraint == "UNIQUE_CONSTRAINT":
        return True
    # A part may not name itself as its parent (part_number and parent_part_number equal).
    if constraint == "CIRCULAR_REFERENCE":
        return True
    # Starting an operation or batch names its operator when the record has none assigned.
    if constraint == "FK_REQUIRED" and field in ("user_id", "operator_id"):
        return True
    # Usage: `from` must not be after `to`, nor more than 366 days before it.
    if case.path.endswith("/api-usage") and field == "from" and constraint == "MIN_VALUE":
        return True
    # A sync item for a record that does not exist yet must carry the fields a new one needs.
    if "/sync" in case.path and constraint == "NOT_NULL" and "needs it)" in str(detail.get("message", "")):
        return True
    # A CSV export holds exactly one entity (`format` and `entities` together).
    if case.path.endswith("/api-export") and str(detail.get("message", "")).startswith("A CSV export holds one entity"):
        return True
    # A webhook URL's host must be public: its shape is in the schema, not the address rules.
    if case.path.endswith("/api-webhooks") and field == "url" and constraint == "PATTERN_MISMATCH":
        return True
    return False


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if failure.code != "ST202":
        return True
    # An If-Match tag the fuzzer made up names no version of the record (RFC 9110: 412).
    if response.status_code == 412 and "If-Match" in (case.headers or {}):
        return False
    # The body limit is 1 MiB, which no schema keyword bounds (maxLength counts characters).
    sent = response.request.body or b""
    if response.status_code == 413 and len(sent.encode() if isinstance(sent, str) else sent) > 1024 * 1024:
        return False
    try:
        details = response.json()["error"]["details"]
    except (ValueError, KeyError, TypeError):
        return True
    return not (isinstance(details, list) and details and all(_depends_on_other_data(case, d) for d in details))
