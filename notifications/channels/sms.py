"""An SMS gateway over HTTP.

POST JSON ``{"phone", "template_id", "params", "sign_name", "out_id",
"text"}`` with ``Authorization: Bearer <key>`` (key from an environment
variable). The template id comes per message kind from the notifications
file, the parameters are short Jinja2 expressions over the message's
variables; ``out_id`` is the delivery id, for the gateway to de-duplicate.
Text and parameters are masked (no full ID or phone number) and short: the
phone is the address only, never part of the text. A message about a case
ends its text with the link to the case on the desk (``case_url``), never cut
or masked; the subject before it is shortened instead. Success is a 2xx answer
whose JSON, if any, has ``code`` 0 or "OK".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from notifications.channels.base import (
    DeliveryFailed,
    HttpChannel,
    Outgoing,
    http_failure,
    json_body,
    secret,
)
from notifications.config import SmsChannel as SmsSpec
from workflow.core.pii import mask_text

#: characters of one SMS segment with Chinese text
SHORT = 70

RenderString = Callable[[str, Mapping[str, Any]], str]


def short_text(subject: str, limit: int = SHORT) -> str:
    text = mask_text(" ".join(subject.split()))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def sms_text(subject: str, link: str | None) -> str:
    """The SMS text: the masked subject, then the case's link whole (the subject is
    shortened so that the two fit in ``SHORT`` characters where they can)."""
    if not link:
        return short_text(subject)
    return f"{short_text(subject, max(SHORT - len(link) - 1, 20))} {link}"


def _link(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) \
        else None


class SmsChannel(HttpChannel):
    def __init__(self, name: str, spec: SmsSpec, render: RenderString) -> None:
        super().__init__(name, spec.timeout)
        self.spec = spec
        self.render = render

    def payload(self, message: Outgoing) -> dict[str, Any]:
        template = self.spec.templates.get(message.kind) or self.spec.templates.get("default")
        if template is None:
            raise DeliveryFailed(f"no SMS template id for '{message.kind}' (and no 'default')",
                                 retryable=False,
                                 zh=f"没有为「{message.kind}」配置短信模板编号（也没有 default）")
        params = {name: short_text(self.render(source, message.context))
                  for name, source in self.spec.params.items()}
        body: dict[str, Any] = {"phone": message.address, "template_id": template,
                                "params": params, "out_id": message.delivery_id,
                                "text": sms_text(message.subject,
                                                 _link(message.context.get("case_url")))}
        if self.spec.sign_name:
            body["sign_name"] = self.spec.sign_name
        return body

    def send(self, message: Outgoing) -> None:
        key = secret(self.spec.api_key_env, "SMS gateway key")
        url = secret(self.spec.url_env, "SMS gateway URL") or ""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = self.post(url, content=json_body(self.payload(message)), headers=headers)
        if not 200 <= response.status_code < 300:
            raise http_failure(response.status_code, response.text)
        try:
            answer = response.json()
        except ValueError:
            return
        if isinstance(answer, dict) and "code" in answer and answer["code"] not in (0, "0", "OK"):
            raise DeliveryFailed(f"gateway answered code {answer['code']}: "
                                 f"{answer.get('message', '')}", retryable=False,
                                 zh=f"短信网关返回错误 {answer['code']}：{answer.get('message', '')}")
