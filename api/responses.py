"""What the HTTP API answers, as models: the OpenAPI document states every response's
shape (and FastAPI holds each answer to it), and the problem details of each error
status an operation can give, so a client (and schemathesis) can hold the server to
its word. The views themselves are built by ``workflow.views``; these models name
their fields. Models allow fields beyond those named, so a view that grows a field
stays within its schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: an ISO 8601 time with its offset, as the views write it
Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Problem(_Out):
    """RFC 9457 problem details, with the message in the language asked for."""

    type: str = Field(description="urn:bangfu:problem:CODE")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="the CLI's message, in the language of Accept-Language")
    code: str


class Health(_Out):
    ok: bool


class Ready(_Out):
    ready: bool


class Me(_Out):
    id: str
    name: str
    unit: str
    unit_path: str
    roles: list[str]


class Jurisdiction(_Out):
    unit: str
    path: str


class CaseSummary(_Out):
    """A case row: state, jurisdiction, times, its data (personal numbers masked)."""

    id: str
    number: str
    process: str
    definition_version: int
    definition_hash: str
    state: str
    state_label: str
    final: bool
    version: int
    jurisdiction: Jurisdiction
    applicant_user: str | None
    submitted_by: str
    created_at: Time
    updated_at: Time
    state_entered_at: Time
    data: dict[str, Any]


class TimerView(_Out):
    id: int
    timer: str
    label: str
    kind: str
    state: str | None
    due: Time
    deadline: Time
    status: str
    fired_at: Time | None


class OptionView(_Out):
    trigger: str
    label: str
    allowed: bool
    reasons: list[str]
    comment_required: bool
    required: list[str]


class CaseDetail(CaseSummary):
    """A case with its timers, its papers against the checklist and what the user may do."""

    timers: list[TimerView]
    documents_check: dict[str, Any] | None = None
    options: list[OptionView]


class CasePage(_Out):
    total: int = Field(ge=0)
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)
    next_offset: int | None
    cases: list[CaseSummary]


class QueuedCase(CaseSummary):
    can: str = Field(description="the triggers the user may fire now, comma-separated")


class Queue(_Out):
    total: int = Field(ge=0)
    cases: list[QueuedCase]


class EventView(_Out):
    seq: int = Field(ge=1)
    at: Time
    local_time: str
    kind: Literal["submitted", "transition", "timer", "reminder", "escalation", "migration",
                  "reveal"]
    kind_label: str
    actor: str
    on_behalf_of: str | None = Field(description="the reviewer a substitute acted for")
    by: str = Field(description="who acted, as read: 'X', or 'X 代 Y' / 'X for Y'")
    role: str | None
    trigger: str
    trigger_label: str
    note: str | None
    source: str | None
    dest: str
    data: dict[str, Any]
    comment: str | None
    definition_version: int


class History(_Out):
    case: str
    events: list[EventView]


class CommandAnswer(_Out):
    case: str
    id: str
    state: str
    state_label: str
    version: int
    event_seq: int
    replayed: bool


class BulkItem(_Out):
    """One case of a bulk fire: its status, and the answer or the refusal."""

    case: str
    status: int
    code: str | None = None
    detail: str | None = None


class BulkAnswer(_Out):
    done: int = Field(ge=0)
    refused: int = Field(ge=0)
    results: list[BulkItem]


class DeadlineRow(_Out):
    case: str
    unit: str
    village: str
    state: str
    timer: str
    label: str
    deadline: Time
    local: str
    overdue: bool
    escalations: int


class Deadlines(_Out):
    now: Time
    deadlines: list[DeadlineRow]
    by_village: dict[str, dict[str, int]]


class DefinitionItem(_Out):
    process: str
    version: int
    label: str
    hash: str
    states: int
    transitions: int


class VerifyFinding(_Out):
    case: str
    seq: int | None
    message: str


class VerifyReport(_Out):
    ok: bool
    cases: int
    events: int
    checkpoints: int
    findings: list[VerifyFinding]


class NoticeColumn(_Out):
    key: str
    label: str


class Notice(_Out):
    """A public notice as posted: names by the campaign's policy, IDs masked, no phones."""

    title: str
    notes: list[str]
    footer: list[str]
    columns: list[NoticeColumn]
    rows: list[dict[str, Any]]


class ObjectionAnswer(_Out):
    case: str
    state: str
    recorded: bool


_WHY = {
    400: "a malformed request: a body that cannot be read, an If-Match that is no version",
    401: "no valid token: missing, unknown, expired or revoked",
    403: "refused by role or the acting user's rights",
    404: "not found, or not the user's to read (its existence does not leak)",
    409: "a trigger the state does not have, a closed case, or a reused Idempotency-Key",
    412: "the case changed since the version named in If-Match",
    413: "the request body is over the limit",
    422: "bad data, or a request that is not well formed",
    429: "too many requests from this client",
    503: "the database does not answer",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an operation: each status as problem details
    (``application/problem+json``)."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {s: {"description": _WHY[s],
                "content": {"application/problem+json": {"schema": schema}}}
            for s in statuses}


def with_problem_schema(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with ``Problem`` among its component schemas (the responses
    above refer to it; no route returns it as its model, so FastAPI would not add it)."""
    found = document.setdefault("components", {}).setdefault("schemas", {})
    found.setdefault("Problem", Problem.model_json_schema())
    return document


#: what every operation may answer (a body over the limit, a malformed request)
ANY = (413, 422)
#: what an operation for a logged-in user may answer besides
AUTHED = (401, 403, *ANY)
