"""E-mail over SMTP (stdlib ``smtplib``), UTF-8 with a Chinese subject.

The Message-ID header is derived from the delivery id, so a message sent
again after a crash carries the same Message-ID and ``X-Bangfu-Message-Id``;
mail systems and people can tell it is the same message. Credentials come
from environment variables named in the notifications file.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr

from notifications.channels.base import DeliveryFailed, Outgoing, secret
from notifications.config import SmtpChannel as SmtpSpec


def message_id(delivery_id: str, domain: str) -> str:
    """The stable RFC 5322 Message-ID of a delivery."""
    return f"<bangfu.{hashlib.sha256(delivery_id.encode('utf-8')).hexdigest()[:40]}@{domain}>"


class SmtpChannel:
    def __init__(self, name: str, spec: SmtpSpec) -> None:
        self.name = name
        self.spec = spec

    def build(self, message: Outgoing) -> EmailMessage:
        spec = self.spec
        mail = EmailMessage(policy=SMTP_POLICY)
        mail["Subject"] = message.subject
        mail["From"] = formataddr((spec.sender_name, spec.sender)) if spec.sender_name \
            else spec.sender
        mail["To"] = message.address
        mail["Date"] = format_datetime(message.now)
        mail["Message-ID"] = message_id(message.delivery_id, spec.message_id_domain)
        mail["X-Bangfu-Message-Id"] = message.message_id
        mail["X-Bangfu-Kind"] = message.kind
        mail.set_content(message.body, charset="utf-8")
        return mail

    def send(self, message: Outgoing) -> None:
        spec = self.spec
        user = secret(spec.username_env, "SMTP user")
        password = secret(spec.password_env, "SMTP password")
        mail = self.build(message)
        try:
            smtp: smtplib.SMTP
            if spec.security == "ssl":
                smtp = smtplib.SMTP_SSL(spec.host, spec.port, timeout=spec.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(spec.host, spec.port, timeout=spec.timeout)
            with smtp:
                if spec.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if user is not None:
                    smtp.login(user, password or "")
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            raise DeliveryFailed(f"the server refused {message.address}: {exc.recipients}",
                                 retryable=all(400 <= c < 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") \
                if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise DeliveryFailed(f"SMTP {exc.smtp_code}: {text}",
                                 retryable=not 500 <= exc.smtp_code < 600) from None
        except TimeoutError:
            raise DeliveryFailed(f"no answer from {spec.host}:{spec.port} within "
                                 f"{spec.timeout:g} s (timeout)") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"cannot send through {spec.host}:{spec.port}: "
                                 f"{type(exc).__name__}: {exc}") from None
        if refused:
            raise DeliveryFailed(f"the server refused {message.address}: {refused}")

    def close(self) -> None:
        return None
