"""Why a delivery failed, was dead-lettered or dropped, in the reader's language.

Pure. A delivery's ``last_error`` is stored as the English sentence the
dispatcher or a channel wrote (the logs carry the same text); ``notify status``
shows it in Chinese through the patterns below. A server's own words inside a
reason (an HTTP body, an SMTP answer) are quoted as they came.
"""

from __future__ import annotations

import re

_ZH: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p + r"\Z", re.S), zh) for p, zh in (
    (r"the deadline (.+?) had passed when the reminder was due to go out at (.+?); not sent",
     r"提醒所指的时限 \1 在 \2 应发送时已过，未发送"),
    (r"user '(.+?)' has no e-mail address", r"用户 '\1' 没有邮箱地址"),
    (r"user '(.+?)' has no phone number", r"用户 '\1' 没有手机号码"),
    (r"'(.*?)' is not a user of the org", r"'\1' 不是组织中的用户"),
    (r"no route or robot takes this kind", "没有路由或群机器人接收此类消息"),
    (r"template '(.+?)': the template rendered nothing", r"模板 '\1' 出错：渲染结果为空"),
    (r"template '(.+?)': (.*)", r"模板 '\1' 出错：\2"),
    (r"HTTP (\d+): (.*)", r"服务器返回 HTTP \1：\2"),
    (r"no answer within (.+?) s \(timeout\)", r"\1 秒内无应答（超时）"),
    (r"invalid URL: (.*)", r"地址无效：\1"),
    (r"cannot reach the server: (.*)", r"无法连接服务器：\1"),
    (r"unreadable answer: (.*)", r"无法识别的应答：\1"),
    (r"robot answered errcode (.+?): (.*)", r"群机器人返回错误码 \1：\2"),
    (r"environment variable (\S+) \((.+?)\) is not set", r"环境变量 \1（\2）未设置"),
    (r"no SMS template id for '(.+?)' \(and no 'default'\)",
     r"没有消息类型 '\1' 的短信模板编号（也没有 default）"),
    (r"gateway answered code (.+?): (.*)", r"短信网关返回代码 \1：\2"),
    (r"SMTP (\d+): (.*)", r"邮件服务器返回 SMTP \1：\2"),
    (r"the server refused (.+?): (.*)", r"服务器拒收 \1：\2"),
    (r"no answer from (.+?) within (.*)", r"\1 在 \2 内无应答"),
    (r"cannot send through (.+?): (.*)", r"无法通过 \1 发送：\2"),
))


def localized_reason(reason: str | None, lang: str) -> str | None:
    """``reason`` as stored, in ``lang`` (``zh`` or ``en``); an unknown
    reason is shown as stored, marked as the original text in Chinese."""
    if reason is None or not lang.startswith("zh"):
        return reason
    for pattern, zh in _ZH:
        if pattern.match(reason):
            return pattern.sub(zh, reason)
    return f"（原文）{reason}"
