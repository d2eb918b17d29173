"""Each channel adapter against a local server that checks what it receives:
the documented robot formats, the DingTalk signature, the SMS gateway call,
the portal webhook's HMAC, and e-mail through a real SMTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from notifications import DeliveryFailed, Outgoing, verify_webhook, webhook_signature
from notifications.channels.dingtalk import DingtalkChannel
from notifications.channels.sms import SmsChannel
from notifications.channels.smtp import SmtpChannel, message_id
from notifications.channels.webhook import WebhookChannel, body_bytes
from notifications.channels.wecom import WecomChannel
from notifications.config import DingtalkChannel as DingtalkSpec
from notifications.config import SmsChannel as SmsSpec
from notifications.config import SmtpChannel as SmtpSpec
from notifications.config import WebhookChannel as WebhookSpec
from notifications.config import WecomChannel as WecomSpec
from tests.helpers.servers import HttpServer, SmtpServer, free_port

NOW = datetime(2027, 1, 17, 1, 30, tzinfo=UTC)
SUBJECT = "【督办】案件 CF27-000007 已超过「名单报送乡镇时限」"
BODY = "各位同事，您好：\n\n案件 CF27-000007（青山县 / 东岭镇 / 上村）仍处于「评议」环节。"


def message(address: str = "@dongling", kind: str = "escalation", **extra: object) -> Outgoing:
    return Outgoing("c1:5:escalation/robot", "c1:5:escalation", kind, address, SUBJECT, BODY,
                    NOW, None, dict(extra) or {"case": "CF27-000007", "kind_label": "督办"})


# -- WeCom ----------------------------------------------------------------------

def wecom(server: HttpServer, monkeypatch: pytest.MonkeyPatch, fmt: str = "markdown",
          timeout: float = 5.0) -> WecomChannel:
    monkeypatch.setenv("T_WECOM", f"{server.url}/cgi-bin/webhook/send?key=abc-123")
    return WecomChannel("robot", WecomSpec(type="wecom", url_env="T_WECOM", format=fmt,
                                           timeout=timeout))


def test_wecom_markdown_payload(http_server: HttpServer,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """{"msgtype": "markdown", "markdown": {"content": ...}} to the robot's URL with its key."""
    wecom(http_server, monkeypatch).send(message())
    (req,) = http_server.requests
    assert req.path == "/cgi-bin/webhook/send" and req.query == {"key": ["abc-123"]}
    assert req.headers["content-type"].startswith("application/json")
    assert req.json == {"msgtype": "markdown",
                        "markdown": {"content": f"**{SUBJECT}**\n{BODY}"}}


def test_wecom_text_payload(http_server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """{"msgtype": "text", "text": {"content": ...}}."""
    wecom(http_server, monkeypatch, "text").send(message())
    assert http_server.requests[0].json == {"msgtype": "text",
                                            "text": {"content": f"{SUBJECT}\n{BODY}"}}


def test_wecom_rate_limit_code_is_retryable(http_server: HttpServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """errcode 45009 (too many messages) is retried; other error codes are not."""
    http_server.answers = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
                           (200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    channel = wecom(http_server, monkeypatch)
    with pytest.raises(DeliveryFailed) as first:
        channel.send(message())
    assert first.value.retryable and "45009" in first.value.reason
    with pytest.raises(DeliveryFailed) as second:
        channel.send(message())
    assert not second.value.retryable and "93000" in second.value.reason


def test_http_server_error_is_retryable_client_error_is_not(
        http_server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP 5xx and 429 are retried, other 4xx are not."""
    http_server.answers = [(502, b"bad gateway"), (404, b"no such robot")]
    channel = wecom(http_server, monkeypatch)
    with pytest.raises(DeliveryFailed) as first:
        channel.send(message())
    assert first.value.retryable and "502" in first.value.reason
    with pytest.raises(DeliveryFailed) as second:
        channel.send(message())
    assert not second.value.retryable


def test_timeout_is_retryable(http_server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that does not answer in time is a retryable failure, not a hang."""
    http_server.hang.set()
    with pytest.raises(DeliveryFailed) as info:
        wecom(http_server, monkeypatch, timeout=0.3).send(message())
    assert info.value.retryable and "timeout" in info.value.reason


def test_unset_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing URL variable fails for good (an operator must set it) and says which."""
    monkeypatch.delenv("T_MISSING", raising=False)
    channel = WecomChannel("robot", WecomSpec(type="wecom", url_env="T_MISSING"))
    with pytest.raises(DeliveryFailed) as info:
        channel.send(message())
    assert not info.value.retryable and "T_MISSING" in info.value.reason


def test_unreachable_robot_hides_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connection refused is retryable, and the error text carries no robot key."""
    monkeypatch.setenv("T_WECOM", f"http://127.0.0.1:{free_port()}/send?key=SECRET-KEY")
    channel = WecomChannel("robot", WecomSpec(type="wecom", url_env="T_WECOM", timeout=2))
    with pytest.raises(DeliveryFailed) as info:
        channel.send(message())
    assert info.value.retryable and "SECRET-KEY" not in info.value.reason
    channel.close()


# -- DingTalk ---------------------------------------------------------------------

def test_dingtalk_signed_markdown(http_server: HttpServer,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Markdown with title and text; timestamp (ms) and sign verify against the secret."""
    monkeypatch.setenv("T_DING", f"{http_server.url}/robot/send?access_token=tok")
    monkeypatch.setenv("T_DING_SECRET", "SEC0123456789abcdef")
    DingtalkChannel("ding", DingtalkSpec(type="dingtalk", url_env="T_DING",
                                         secret_env="T_DING_SECRET")).send(message())
    (req,) = http_server.requests
    assert req.query["access_token"] == ["tok"]
    timestamp = req.query["timestamp"][0]
    assert int(timestamp) == int(NOW.timestamp() * 1000)
    expected = base64.b64encode(hmac.new(b"SEC0123456789abcdef",
                                         f"{timestamp}\nSEC0123456789abcdef".encode(),
                                         hashlib.sha256).digest()).decode()
    assert req.query["sign"] == [expected]
    body = req.json
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == SUBJECT
    assert body["markdown"]["text"].startswith(f"#### {SUBJECT}\n\n各位同事，您好：  \n")


def test_dingtalk_error_code(http_server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """errcode 130101 (sending too fast) is retried; 310000 (bad signature) is not."""
    monkeypatch.setenv("T_DING", f"{http_server.url}/robot/send?access_token=tok")
    http_server.answers = [(200, {"errcode": 130101, "errmsg": "send too fast"}),
                           (200, {"errcode": 310000, "errmsg": "sign not match"})]
    channel = DingtalkChannel("ding", DingtalkSpec(type="dingtalk", url_env="T_DING",
                                                   format="text"))
    with pytest.raises(DeliveryFailed) as first:
        channel.send(message())
    assert first.value.retryable
    with pytest.raises(DeliveryFailed) as second:
        channel.send(message())
    assert not second.value.retryable
    assert http_server.requests[0].json == {"msgtype": "text",
                                            "text": {"content": f"{SUBJECT}\n{BODY}"}}


# -- SMS ------------------------------------------------------------------------

def test_sms_gateway_call(http_server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Template id per kind, rendered parameters, the delivery id, a short masked text."""
    from jinja2 import Environment

    monkeypatch.setenv("T_SMS", f"{http_server.url}/sms/send")
    monkeypatch.setenv("T_SMS_KEY", "k-1")
    http_server.answers = [(200, {"code": "OK"})]
    spec = SmsSpec(type="sms", url_env="T_SMS", api_key_env="T_SMS_KEY", sign_name="青山县帮扶",
                   templates={"escalation": "SMS_9", "default": "SMS_0"},
                   params={"case": "{{ case }}", "what": "{{ kind_label }}"})
    channel = SmsChannel("sms", spec, lambda src, v: Environment().from_string(src).render(v))
    channel.send(message("13900001111"))
    (req,) = http_server.requests
    assert req.headers["authorization"] == "Bearer k-1"
    body = req.json
    assert body["phone"] == "13900001111"
    assert body["template_id"] == "SMS_9" and body["sign_name"] == "青山县帮扶"
    assert body["params"] == {"case": "CF27-000007", "what": "督办"}
    assert body["out_id"] == "c1:5:escalation/robot"
    assert "13900001111" not in body["text"] and len(body["text"]) <= 70


def test_sms_gateway_refusal(http_server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A gateway error code is reported with its message."""
    monkeypatch.setenv("T_SMS", f"{http_server.url}/sms/send")
    http_server.answers = [(200, {"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "bad number"})]
    spec = SmsSpec(type="sms", url_env="T_SMS", templates={"default": "SMS_0"})
    with pytest.raises(DeliveryFailed) as info:
        SmsChannel("sms", spec, lambda s, v: s).send(message("139"))
    assert "bad number" in info.value.reason


# -- portal webhooks ------------------------------------------------------------

def test_webhook_is_signed(http_server: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Headers carry the message id, the timestamp and an HMAC the portal can verify."""
    monkeypatch.setenv("T_HOOK", f"{http_server.url}/bangfu")
    monkeypatch.setenv("T_HOOK_SECRET", "portal-secret")
    payload = {"id": "ab" * 32, "type": "transition", "case": {"number": "CF27-000007"}}
    out = Outgoing("ab" * 32 + "/portal", "ab" * 32, "transition", "#portal", "transition", "",
                   NOW, None, payload)
    WebhookChannel("portal", WebhookSpec(type="webhook", url_env="T_HOOK",
                                         secret_env="T_HOOK_SECRET")).send(out)
    (req,) = http_server.requests
    assert req.headers["x-bangfu-message-id"] == "ab" * 32
    assert req.headers["x-bangfu-timestamp"] == str(int(NOW.timestamp()))
    assert req.body == body_bytes(payload) and req.json == payload
    sig = req.headers["x-bangfu-signature"]
    assert sig == "sha256=" + hmac.new(b"portal-secret", req.headers["x-bangfu-timestamp"]
                                       .encode() + b"." + req.body, hashlib.sha256).hexdigest()
    assert verify_webhook("portal-secret", req.headers["x-bangfu-timestamp"], req.body, sig,
                          NOW.timestamp() + 10)


def test_webhook_verification_refuses_tampering_and_replays() -> None:
    """Another body, another secret or an old timestamp fail verification."""
    ts = str(int(NOW.timestamp()))
    sig = webhook_signature("s", ts, b"{}")
    assert verify_webhook("s", ts, b"{}", sig, NOW.timestamp())
    assert not verify_webhook("s", ts, b'{"x":1}', sig, NOW.timestamp())
    assert not verify_webhook("other", ts, b"{}", sig, NOW.timestamp())
    assert not verify_webhook("s", ts, b"{}", sig, NOW.timestamp() + 3600)


# -- e-mail ---------------------------------------------------------------------

def smtp_spec(server: SmtpServer, **extra: object) -> SmtpSpec:
    return SmtpSpec.model_validate({"type": "smtp", "host": server.host, "port": server.port,
                                    "security": "none", "sender": "bangfu@example.org",
                                    "sender_name": "青山县困难帮扶平台", "timeout": 5, **extra})


def test_email_in_chinese(smtp_server: SmtpServer) -> None:
    """A real SMTP server receives UTF-8 mail with a Chinese subject and a stable Message-ID."""
    out = message("liu.qiang@example.org")
    SmtpChannel("email", smtp_spec(smtp_server)).send(out)
    (mail,) = smtp_server.messages
    assert mail["Subject"] == SUBJECT
    assert mail["To"] == "liu.qiang@example.org"
    assert "青山县困难帮扶平台" in str(mail["From"]) and "bangfu@example.org" in str(mail["From"])
    assert mail["Message-ID"] == message_id(out.delivery_id, "bangfu.invalid")
    assert mail["X-Bangfu-Message-Id"] == "c1:5:escalation"
    assert mail.get_content().replace("\r\n", "\n").strip() == BODY  # type: ignore[attr-defined]
    assert mail.get_content_charset() == "utf-8"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_login_from_environment(smtp_auth_server: SmtpServer,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """User and password come from the environment variables the file names."""
    monkeypatch.setenv("T_SMTP_USER", "bangfu")
    monkeypatch.setenv("T_SMTP_PASSWORD", "s3cret")
    spec = smtp_spec(smtp_auth_server, username_env="T_SMTP_USER",
                     password_env="T_SMTP_PASSWORD")
    SmtpChannel("email", spec).send(message("a@example.org"))
    assert smtp_auth_server.logins == [("bangfu", "s3cret")]
    assert len(smtp_auth_server.messages) == 1


def test_unreachable_smtp_server_is_retryable() -> None:
    """Nobody listening: a retryable failure naming the server."""
    spec = SmtpSpec(type="smtp", host="127.0.0.1", port=free_port(), security="none",
                    sender="bangfu@example.org", timeout=2)
    with pytest.raises(DeliveryFailed) as info:
        SmtpChannel("email", spec).send(message("a@example.org"))
    assert info.value.retryable and "127.0.0.1" in info.value.reason
