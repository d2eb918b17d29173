"""Message texts from Jinja2 templates, in Chinese (default) or English.

One template per message kind and language, ``templates/<kind>.<lang>.j2``;
a folder named in the notifications file may override any of them. The first
line of the rendered text is the subject, the rest the body. Templates see
the outbox context plus labels from the case's definition and the org
(``state_label``, ``unit_path``, ``actor_name``, ...) and links that lead
somewhere: ``case_url`` (the case on the reviewer's desk,
``{base_url}/desk/cases/{number}``) for a message to staff about a case
(not the applicant's ``decision``: applicants do not work at the desk), and
``desk_url`` (the desk's queue); the base URL is ``BANGFU_BASE_URL``
(``workflow.links``), read when the renderer is made. Undefined names are
errors (``StrictUndefined``), raised as ``RenderError``: the dispatcher
dead-letters that delivery with the reason and goes on. The environment is
sandboxed: templates are data, not code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from definitions.compile import CompiledDefinition
from definitions.errors import BangfuError, UnknownDefinition
from workflow.clock import local
from workflow.core.pii import mask_text
from workflow.engine import Engine
from workflow.links import base_url, case_link, desk_link

SHIPPED_TEMPLATES = Path(__file__).resolve().parent / "templates"

#: what each kind of message is called, (zh, en)
KIND_LABELS: dict[str, tuple[str, str]] = {
    "waiting": ("待办", "Waiting for you"),
    "notice_opened": ("公示开始", "Public notice opened"),
    "objection_received": ("收到异议", "Objection received"),
    "disbursement_due": ("待发放", "Disbursement due"),
    "decision": ("办理结果", "Decision"),
    "reminder": ("提醒", "Reminder"),
    "escalation": ("督办", "Escalation"),
    "overdue": ("逾期", "Overdue"),
    "recheck_due": ("复核到期", "Re-check due"),
    "digest": ("每日待办汇总", "Daily digest"),
    "test": ("测试消息", "Test message"),
}


#: kinds sent to the applicant, who does not work at the desk: no desk link (an SMS
#: link to a login the applicant does not have would only mislead)
APPLICANTS = frozenset({"decision"})


class RenderError(BangfuError):
    """A template is missing, malformed or uses a name the message does not have."""

    code = "template_error"

    def __init__(self, template: str, reason: str) -> None:
        self.template = template
        self.reason = reason
        super().__init__(f"template '{template}': {reason}", f"模板 '{template}' 出错：{reason}")


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str
    variables: Mapping[str, Any]


def _local(value: Any) -> str:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return local(when)


class Renderer:
    """Renders messages for one engine (its definitions and org)."""

    def __init__(self, engine: Engine, templates: Path | None = None,
                 links: str | None = None) -> None:
        """Raises UsageError: ``links`` not given and ``BANGFU_BASE_URL`` is not a URL."""
        self.engine = engine
        self.links = links or base_url()
        folders = [str(templates)] if templates is not None else []
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader([FileSystemLoader(f) for f in [*folders,
                                                               str(SHIPPED_TEMPLATES)]]),
            undefined=StrictUndefined, autoescape=False, trim_blocks=True,
            lstrip_blocks=True, keep_trailing_newline=False)
        self.env.filters["local"] = _local
        self.env.filters["mask"] = lambda v: mask_text(str(v))

    def definition(self, process: str, version: Any) -> CompiledDefinition | None:
        """The definition a message was written under (the latest if that version is gone)."""
        try:
            return self.engine.definitions.get(process, version if isinstance(version, int)
                                               else None)
        except UnknownDefinition:
            try:
                return self.engine.definitions.get(process)
            except UnknownDefinition:
                return None

    def _user(self, user: str | None, lang: str) -> str | None:
        if user is None:
            return None
        if user == "system":
            return "系统" if lang == "zh" else "System"
        spec = self.engine.org.users.get(user)
        return spec.name if spec is not None else user

    def variables(self, kind: str, recipient: str | None, context: Mapping[str, Any],
                  lang: str) -> dict[str, Any]:
        """The names a template of ``kind`` can use."""
        org = self.engine.org
        zh, en = KIND_LABELS.get(kind, (kind, kind))
        out: dict[str, Any] = {**context, "lang": lang, "kind": kind,
                               "kind_label": zh if lang == "zh" else en,
                               "recipient": recipient,
                               "desk_url": desk_link(self.links),
                               # a group (robot) message greets the whole group
                               "recipient_name": self._user(recipient, lang)
                               or context.get("recipient_name")
                               or ("各位同事" if lang == "zh" else "colleagues")}
        if isinstance(context.get("case"), str) and context["case"] and kind not in APPLICANTS:
            out["case_url"] = case_link(context["case"], self.links)
        process = context.get("process")
        defn = self.definition(str(process), context.get("version")) if process else None
        if process:
            out["process_label"] = defn.spec.labels.get(lang) if defn else process
        if "state" in context:
            out["state_label"] = defn.state_label(context["state"], lang) if defn \
                else context["state"]
        if "from" in context:
            before = context["from"]
            out["from_state"] = before
            out["from_label"] = (defn.state_label(before, lang) if defn else before) \
                if before else None
        if "trigger" in context:
            trigger = context["trigger"]
            out["trigger_label"] = ("提交申请" if lang == "zh" else "Submit") \
                if trigger == "submit" else (defn.transition_label(
                    trigger, context.get("from"), context.get("state"), lang) if defn
                                            else trigger)
        if "actor" in context:
            out["actor_name"] = self._user(context["actor"], lang)
        if "unit" in context:
            out["unit_label"] = org.unit_label(context["unit"], lang)
            out["unit_path"] = org.unit_path(context["unit"], lang)
        if "timer" in context:
            label = context.get("timer_label")
            out["timer_text"] = label.get(lang) if isinstance(label, Mapping) and \
                label.get(lang) else context["timer"]
        if context.get("deadline"):
            out["deadline_local"] = _local(context["deadline"])
        return out

    def render(self, kind: str, recipient: str | None, context: Mapping[str, Any],
               lang: str) -> Rendered:
        """Subject and body of a message.

        Raises:
            RenderError: no template for ``kind``, or it fails (an unknown name).
        """
        name = f"{kind}.{lang}.j2"
        variables = self.variables(kind, recipient, context, lang)
        try:
            text = self.env.get_template(name).render(variables)
        except TemplateError as exc:
            raise RenderError(name, f"{type(exc).__name__}: {exc}") from None
        lines = text.strip().splitlines()
        if not lines:
            raise RenderError(name, "the template rendered nothing")
        return Rendered(lines[0].strip(), "\n".join(lines[1:]).strip("\n"), variables)

    def render_string(self, source: str, variables: Mapping[str, Any]) -> str:
        """A one-off template text (e.g. an SMS parameter).

        Raises:
            RenderError: it fails.
        """
        try:
            return self.env.from_string(source).render(variables)
        except TemplateError as exc:
            raise RenderError(source, f"{type(exc).__name__}: {exc}") from None
