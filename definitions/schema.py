"""The definition language as frozen pydantic models: the IR. Pure.

A process definition file (``definitions/processes/*.yaml``) parses into a
``ProcessDefinition``; ``schema.json`` beside the shipped files is generated
from these models (``bangfu definitions schema``) so editors can autocomplete.
Structural rules live here; graph and reference rules live in ``validate.py``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]*$"
Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN, max_length=64)]


def _listify(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _one_or_many(item: dict[str, object]) -> WithJsonSchema:
    return WithJsonSchema({"anyOf": [item, {"type": "array", "items": item}]})


_ID_SCHEMA: dict[str, object] = {"type": "string", "pattern": IDENTIFIER_PATTERN}
#: YAML may give one identifier or a list of them
Identifiers = Annotated[tuple[Identifier, ...], BeforeValidator(_listify), _one_or_many(_ID_SCHEMA)]
Conditions = Annotated[tuple[str, ...], BeforeValidator(_listify),
                       _one_or_many({"type": "string"})]

#: at most 4 digits: 9,999 days, hours, working days or months stay within the calendar
#: (a timer 'after: 99999999999d' once passed and broke every later firing)
DURATION_RE = re.compile(
    r"^\s*(?P<n>\d{1,4})\s*(?P<unit>d|h|m|days?|hours?|minutes?|wd|working[ _]days?|months?)\s*$")
#: who an escalation goes to besides roles: the first responsible persons
#: （党委书记 and 镇长） of the township above the case
FIRST_RESPONSIBLE = "first_responsible"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Labels(_Frozen):
    """A text in Chinese and English; both are required."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.zh if lang.startswith("zh") else self.en


class RoleSpec(_Frozen):
    """A role the process knows.

    ``scope`` says which cases a holder may act on: ``jurisdiction`` (cases in
    the subtree of the user's unit), ``own`` (cases the user applied for), or
    ``anyone`` (any case; e.g. the public raising an objection).
    """

    labels: Labels
    scope: Literal["jurisdiction", "own", "anyone"] = "jurisdiction"


class FieldSpec(_Frozen):
    """A field of the case data."""

    #: ``documents``: a list of paper references (type, ref, date) checked against
    #: the campaign's checklist (``definitions.checklist``)
    type: Literal["string", "text", "integer", "money", "boolean", "date", "enum", "documents"]
    labels: Labels
    values: tuple[str, ...] = ()
    value_labels: dict[str, Labels] = Field(default_factory=dict)
    min: int | None = None
    max: int | None = None
    pii: Literal["id_number", "phone", "name"] | None = None
    #: the only triggers that may set the field: an application never does, nor
    #: any other transition (an incapacity assessment is its own step, recorded
    #: by the village before the delivery; the delivery only reads it)
    recorded_by: Identifiers = ()


class GuardRef(_Frozen):
    """A named predicate from the Python guard registry, with parameters."""

    name: Identifier
    params: dict[str, str | int | bool] = Field(default_factory=dict)


class TimerSpec(_Frozen):
    """A deadline, window or period, on a state or on the whole case.

    The deadline is ``after`` (a duration from ``anchor``: '3d', '2 working
    days', '12h') or ``at`` (a reference into the case's campaign calendar:
    ``deadline:<id>``, ``phase:<id>.start``, ``phase:<id>.end``,
    ``completion``). When it comes, ``fire`` is fired by the system. Before
    it, ``remind`` offsets send reminders to the responsible role; after it,
    an escalation goes to ``escalate_to`` every ``escalate_every`` until the
    timer is cancelled (the case leaves the state, or closes). ``every``
    makes the timer recurring: ``fire`` is fired once per period (e.g.
    quarterly payments: '3 months').
    """

    id: Identifier
    labels: Labels | None = None
    after: str | None = None
    at: str | None = Field(default=None, pattern=r"^(deadline:[a-z][a-z0-9_]*|phase:[a-z][a-z0-9_]*\.(start|end)|completion)$")
    every: str | None = None
    anchor: Literal["state_entry", "first_entry", "case_created"] = "state_entry"
    fire: Identifier | None = None
    remind: tuple[str, ...] = ()
    escalate_every: str | None = None
    escalate_to: tuple[Identifier, ...] = ()

    @field_validator("after", "escalate_every", "every")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None and not DURATION_RE.match(v):
            raise ValueError(f"'{v}' is not a duration of at most 4 digits such as '3d', "
                             "'2 working days' or '12h'")
        return v

    @field_validator("remind")
    @classmethod
    def _durations(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for item in v:
            if not DURATION_RE.match(item):
                raise ValueError(f"'{item}' is not a duration such as '2d' or '1 working day'")
        return v


NoticeKind = Literal["waiting", "notice_opened", "objection_received", "disbursement_due",
                     "decision", "recheck_due"]


class StateSpec(_Frozen):
    """A state. On entering it, the ``responsible`` role's holders who reach the
    case are told with the ``notify`` template (``waiting`` by default); on
    entering a final state the applicant is told the ``decision``."""

    id: Identifier
    labels: Labels
    initial: bool = False
    final: bool = False
    responsible: Identifier | None = None
    notify: NoticeKind | None = None
    #: for final states: did the household get relief? A case ``granted`` (or
    #: still open) is the household's claim in its campaign (不重复慰问)
    outcome: Literal["granted", "refused", "withdrawn"] | None = None
    timers: tuple[TimerSpec, ...] = ()


class InstalmentSpec(_Frozen):
    """A payment that is one of ``parts`` shares of a yearly amount (``parts: 4``:
    quarterly). The system computes it: the event records the amount paid, in
    fen, in field ``amount`` and the payment's running number in ``number``.
    Payments 1 to ``parts`` are the first year, and so on. Each share is the
    yearly amount in field ``of`` divided by ``parts``, rounded down to the fen;
    the fen left over are paid with the last share of the year, so a year's
    payments add up to the yearly amount exactly. A changed yearly amount counts
    from the next payment."""

    of: Identifier
    parts: Annotated[int, Field(ge=1, le=12)]
    amount: Identifier
    number: Identifier


class TransitionSpec(_Frozen):
    """One edge: ``trigger`` from any of ``source`` to ``dest``.

    ``roles`` lists who may fire it; an empty list means nobody (deny by
    default). ``guards`` are named predicates, ``when`` declarative
    conditions over the case data; all must hold. ``required`` names data
    fields that must be present after the command. ``comment: required``
    makes a reason mandatory (e.g. every rejection). ``writes`` lists the
    other fields it may set; nothing else may be changed by it. ``duty`` tags
    the work for separation-of-duties rules. ``notify`` tells the holders
    of the responsible role of the state the case is in afterwards, with that
    template, also when the case stays where it is (a periodic re-check).
    """

    trigger: Identifier
    source: Identifiers
    dest: Identifier
    labels: Labels
    roles: Identifiers = ()
    guards: Annotated[tuple[GuardRef, ...], WithJsonSchema({"type": "array", "items": {
        "anyOf": [_ID_SCHEMA, GuardRef.model_json_schema()]}})] = ()
    when: Conditions = ()
    required: Identifiers = ()
    #: other fields the trigger may set; any field not here nor in
    #: ``required`` is refused (a review cannot quietly change the category)
    writes: Identifiers = ()
    #: the campaign budget: ``reserve`` the standard on approval, ``spend`` it
    #: on disbursement, ``release`` it on rejection or withdrawal
    budget: Literal["reserve", "spend", "release"] | None = None
    #: a payment computed by the system as one share of a yearly amount
    instalment: InstalmentSpec | None = None
    comment: Literal["required", "optional"] = "optional"
    duty: Identifier | None = None
    notify: NoticeKind | None = None

    @field_validator("guards", mode="before")
    @classmethod
    def _guard_names(cls, v: object) -> object:
        if isinstance(v, str):
            v = [v]
        if isinstance(v, list):
            return [{"name": g} if isinstance(g, str) else g for g in v]
        return v


class SubmitSpec(_Frozen):
    """Who may open a case, which fields an application must carry (``required``) and
    which others it may carry (``writes``). A field no step writes or requires may
    come with the application too; one that a review step writes or requires comes
    only from that step, unless ``writes`` names it here as well."""

    roles: tuple[Identifier, ...]
    required: tuple[Identifier, ...] = ()
    writes: tuple[Identifier, ...] = ()


class SeparationRule(_Frozen):
    """No single user may perform more than one of these duties on a case."""

    duties: tuple[Identifier, ...] = Field(min_length=2)
    labels: Labels


class ProcessDefinition(_Frozen):
    """A whole process: the root of a ``processes/*.yaml`` file."""

    process: Identifier
    version: int = Field(ge=1, le=999_999)
    labels: Labels
    case_prefix: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,7}$")
    roles: dict[Identifier, RoleSpec]
    #: bounded: no process comes near, and a file of 20,000 states took seconds to refuse
    fields: dict[Identifier, FieldSpec] = Field(max_length=500)
    submit: SubmitSpec
    states: tuple[StateSpec, ...] = Field(min_length=2, max_length=300)
    transitions: tuple[TransitionSpec, ...] = Field(min_length=1, max_length=1000)
    separation_of_duties: tuple[SeparationRule, ...] = ()
    applicant_id_field: Identifier | None = None
    #: how often a household (``applicant_id_field``, normalised) may be helped:
    #: ``campaign``: one open or granted case per campaign, across every process
    #: and department of the campaign (不重复慰问); ``open``: one open case of
    #: this process at a time, with or without a campaign (a worker's medical aid
    #: or archive); ``none``: no limit
    household_limit: Literal["campaign", "open", "none"] = "campaign"
    #: timers over the whole life of a case (e.g. the campaign's completion
    #: target), cancelled when the case reaches a final state
    case_timers: tuple[TimerSpec, ...] = ()
