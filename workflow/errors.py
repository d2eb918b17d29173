"""One exception tree for everything Bangfu refuses. Pure.

Every exception Bangfu raises to a user is one of these (a test holds this
drawing to the classes). The root and the definition errors live in
``definitions.errors`` (``definitions`` imports nothing of ours); classes that
belong to one rule or adapter live beside it, named here with their module;
the rest are defined below.

::

    BangfuError                       (definitions.errors) the root: .en, .zh, .code, to_dict()
    ├── DefinitionError               (definitions.errors)
    │   ├── DefinitionInvalid         (definitions.errors) every problem of a file, with lines
    │   ├── DefinitionVersionConflict (definitions.errors) a changed file under an unchanged version
    │   ├── UnknownDefinition         (definitions.errors)
    │   ├── UnknownDeadline           (definitions.campaign) a campaign date that is not declared
    │   └── UnknownSubgroup           (definitions.standards)
    ├── UnknownUser
    ├── UserRequired                  a command that acts, without --as
    ├── NotAuthenticated              a request with no token, or one unknown, expired or revoked
    ├── CaseNotFound
    ├── UsageError                    options that do not go together, an unknown choice
    │   └── OptionConflict            (cli_commands.remote) --as with --server
    ├── FileError                     a file that cannot be read or written as asked
    ├── CommandRejected               a command the rules refuse; nothing written
    │   ├── InvalidTrigger            not a trigger of this state
    │   ├── CaseClosed                the case is in a final state
    │   ├── PermissionDenied          role, jurisdiction, separation of duties,
    │   │                             conflict of interest (``reason`` says which)
    │   ├── GuardFailed               conditions that did not hold, each named
    │   ├── CommentRequired
    │   ├── MissingData
    │   ├── MissingDocuments          papers the campaign's checklist requires
    │   ├── InvalidData
    │   ├── CampaignError             no campaign, or one that does not run the process
    │   ├── DoubleRelief              the household already has a case in the campaign
    │   ├── BudgetExceeded            (workflow.core.budget) a line and its fallback cannot pay
    │   ├── UnbudgetedPayment         (workflow.core.budget) no budget line books the category
    │   ├── AuditError                e.g. a replay before the case existed, a bad state map
    │   ├── MigrationRefused          a migration would strand cases
    │   ├── SubstitutionRefused       a substitute's period the rules do not allow
    │   ├── DeadlineError             (workflow.core.deadlines) a deadline that cannot be computed
    │   └── BulkImportError           (workflow.importing.errors) a file that cannot be imported
    ├── NumbersTaken                  (workflow.importing.errors) numbers taken while importing
    ├── InvalidIdNumber               (workflow.rules.idcard)
    ├── InvalidAmount                 (workflow.rules.money)
    ├── InvalidFamily                 (workflow.rules.family)
    ├── UnknownCategory               (workflow.rules.relief)
    ├── SubgroupRequired              (workflow.rules.relief)
    ├── MissingCount                  (workflow.rules.relief)
    ├── ReasonRequired                (workflow.rules.relief)
    ├── AmountNotStandard             (workflow.rules.relief)
    ├── CalendarMissing               (workflow.core.calendar) working days in a year without data
    ├── ReportError                   (workflow.reporting.table) a level, unit or file not there
    ├── RenderError                   (notifications.render) a template that cannot render
    ├── DeliveryFailed                (notifications.channels.base) a channel could not deliver
    ├── ConcurrencyConflict           someone else changed the case first
    ├── IdempotencyKeyReused          same key, different command
    ├── ClockError                    clock commands on a real-clock database, time going back
    ├── RemoteRefusal                 (cli_commands.remote) what a server refused, as its problem says
    ├── ServerUnreachable             (cli_commands.remote) no answer, or not a Bangfu server's
    ├── NotLoggedIn                   (cli_commands.credentials) no token for the server
    └── StorageError                  database missing, not initialised, unreachable
        ├── DamagedRecord             a stored row that no longer reads back
        ├── SchemaOutdated            a database at an older schema: 'bangfu db upgrade'
        └── SchemaTooNew              a database at a newer schema than this Bangfu

Each message is one sentence (or one short paragraph) with identifiers quoted,
in English (``str``) and Chinese (``localized('zh')``).
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import get_close_matches

from definitions.errors import BangfuError


class UnknownUser(BangfuError):
    code = "unknown_user"

    def __init__(self, user: str, known: Sequence[str] = ()) -> None:
        self.user = user
        close = get_close_matches(user, list(known), n=1)
        super().__init__(
            f"Unknown user '{user}'" + (f"; did you mean '{close[0]}'?" if close else ""),
            f"未知的用户 '{user}'" + (f";是否指 '{close[0]}'?" if close else ""),
        )


class UsageError(BangfuError):
    """Options of a command that do not go together, or an unknown choice."""

    code = "usage"


class NotAuthenticated(BangfuError):
    """A request that names no user it can prove: no token, or one that is unknown,
    expired or revoked (which of these is not said: it would help a guesser)."""

    code = "not_authenticated"

    def __init__(self, en: str = "a valid token is required (Authorization: Bearer TOKEN)",
                 zh: str = "需要有效的令牌（Authorization: Bearer 令牌）") -> None:
        super().__init__(en, zh)


class FileError(BangfuError):
    """A file given to a command that cannot be read or written as asked."""

    code = "file_error"


class UserRequired(BangfuError):
    """A command that acts was given no acting user."""

    code = "user_required"

    def __init__(self, en: str = "this command acts as a user: say who with --as USER "
                 "(or the environment variable BANGFU_USER)",
                 zh: str = "此命令须以某个用户身份执行：请用 --as 用户名（或环境变量 BANGFU_USER）"
                 "指明操作人") -> None:
        super().__init__(en, zh)


class CaseNotFound(BangfuError):
    code = "case_not_found"

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"No case '{ref}'", f"找不到案件 '{ref}'")


class CommandRejected(BangfuError):
    """The rules refuse the command; nothing was written."""

    code = "command_rejected"


class InvalidTrigger(CommandRejected):
    code = "invalid_trigger"

    def __init__(self, case: str, trigger: str, state: str, state_label: str,
                 available: Sequence[str], all_triggers: Sequence[str]) -> None:
        self.case, self.trigger, self.state = case, trigger, state
        self.available = tuple(available)
        if trigger not in all_triggers:
            close = get_close_matches(trigger, list(all_triggers), n=1)
            hint_en = f"; did you mean '{close[0]}'?" if close else ""
            hint_zh = f";是否指 '{close[0]}'?" if close else ""
            super().__init__(f"Unknown trigger '{trigger}' for case '{case}'{hint_en}",
                             f"案件 '{case}' 没有名为 '{trigger}' 的操作{hint_zh}")
            return
        opts = ", ".join(f"'{t}'" for t in available) or "none"
        opts_zh = "、".join(f"'{t}'" for t in available) or "无"
        super().__init__(
            f"Cannot '{trigger}' case '{case}' in state '{state}'; possible here: {opts}",
            f"案件 '{case}' 当前处于「{state_label}」，不能执行 '{trigger}';此时可执行：{opts_zh}",
        )


class CaseClosed(CommandRejected):
    code = "case_closed"

    def __init__(self, case: str, state: str, state_label: str) -> None:
        self.case, self.state = case, state
        super().__init__(f"Case '{case}' is closed (state '{state}'); nothing can be done to it",
                         f"案件 '{case}' 已办结（「{state_label}」），不能再操作")


class PermissionDenied(CommandRejected):
    """``reason`` is one of: role, jurisdiction, own_case, separation_of_duties,
    conflict_of_interest, substitution_period (a substitute acting outside the period)."""

    code = "permission_denied"

    def __init__(self, reason: str, en: str, zh: str) -> None:
        self.reason = reason
        super().__init__(en, zh)

    def to_dict(self, lang: str = "zh") -> dict[str, object]:
        return {**super().to_dict(lang), "reason": self.reason}


class GuardFailed(CommandRejected):
    code = "guard_failed"

    def __init__(self, case: str, trigger: str, failures: Sequence[tuple[str, str]]) -> None:
        self.case, self.trigger = case, trigger
        self.failures = tuple(failures)
        super().__init__(
            f"Cannot '{trigger}' case '{case}': " + "; ".join(en for en, _ in failures),
            f"案件 '{case}' 不能执行 '{trigger}':" + ";".join(zh for _, zh in failures),
        )

    def to_dict(self, lang: str = "zh") -> dict[str, object]:
        zh = lang.startswith("zh")
        return {**super().to_dict(lang), "failed": [z if zh else e for e, z in self.failures]}


class CommentRequired(CommandRejected):
    code = "comment_required"

    def __init__(self, case: str, trigger: str) -> None:
        super().__init__(f"'{trigger}' on case '{case}' needs a comment giving the reason",
                         f"对案件 '{case}' 执行 '{trigger}' 必须填写理由")


def _needs(case: str | None, trigger: str) -> tuple[str, str]:
    """How a refusal names what was attempted: an action on a case, or (``case``
    None) an application not yet numbered."""
    if case is None:
        return "the application needs", "提交申请还缺少"
    return f"'{trigger}' on case '{case}' needs", f"对案件 '{case}' 执行 '{trigger}' 还缺少"


class MissingData(CommandRejected):
    code = "missing_data"

    def __init__(self, case: str | None, trigger: str,
                 fields: Sequence[tuple[str, str]]) -> None:
        """``case`` None: a submission (the case has no number yet)."""
        self.fields = tuple(f for f, _ in fields)
        names = ", ".join(f"'{f}'" for f, _ in fields)
        labels = "、".join(f"{label}({f})" for f, label in fields)
        en, zh = _needs(case, trigger)
        super().__init__(f"{en} the data {names}", f"{zh}：{labels}")


class MissingDocuments(CommandRejected):
    """Papers the campaign's checklist requires of this case are not on file."""

    code = "missing_documents"

    def __init__(self, case: str | None, trigger: str,
                 documents: Sequence[tuple[str, str, str]]) -> None:
        """``documents``: (type, English label, Chinese label) of each missing paper;
        ``case`` None: a submission."""
        self.documents = tuple(t for t, _, _ in documents)
        en, zh = _needs(case, trigger)
        super().__init__(
            f"{en} the documents: " + ", ".join(f"{en} ('{t}')" for t, en, _ in documents),
            f"{zh}材料：" + "、".join(f"{zh}（{t}）" for t, _, zh in documents))


class InvalidData(CommandRejected):
    code = "invalid_data"

    def __init__(self, problems: Sequence[tuple[str, str, str]]) -> None:
        """``problems``: (field, English text, Chinese text)."""
        self.problems = tuple(problems)
        super().__init__(
            "Invalid data: " + "; ".join(f"'{f}': {en}" for f, en, _ in problems),
            "数据有误:" + ";".join(f"'{f}' {zh}" for f, _, zh in problems),
        )


class ConcurrencyConflict(BangfuError):
    code = "conflict"

    def __init__(self, case: str, expected: int, actual: int) -> None:
        self.case, self.expected, self.actual = case, expected, actual
        super().__init__(
            f"Case '{case}' was changed by someone else (version {actual}, you had version "
            f"{expected}); reload it and try again",
            f"案件 '{case}' 已被他人修改（当前版本 {actual},你看到的是版本 {expected}），请刷新后重试",
        )


class IdempotencyKeyReused(BangfuError):
    code = "idempotency_key_reused"

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"Idempotency key '{key}' was already used for a different command",
            f"幂等键 '{key}' 已用于另一条不同的命令",
        )


class ClockError(BangfuError):
    code = "clock_error"


class DoubleRelief(CommandRejected):
    """The household already has a case that its process's ``household_limit``
    forbids a second one beside: open or granted in the same campaign, or open
    in the same process."""

    code = "double_relief"

    def __init__(self, other: str, process: str, state: str, limit: str = "campaign") -> None:
        self.other = other
        if limit == "open":
            super().__init__(
                f"This household already has open case '{other}' ({process}, {state}); a "
                "household has one open case of this process at a time",
                f"该户已有未办结的案件 '{other}'（{process}，{state}），同一户同一时间只能有一件在办")
            return
        super().__init__(
            f"This household already has case '{other}' ({process}, {state}) in the campaign; "
            "a household is relieved at most once per campaign, by any department or process",
            f"该户在本次活动中已有案件 '{other}'（{process}，{state}），同一户每次活动只能慰问一次，"
            "不同部门、不同流程之间也不重复慰问")


class CampaignError(CommandRejected):
    """No campaign, an unknown one, or one that does not run the process."""

    code = "campaign_error"


class StorageError(BangfuError):
    code = "storage_error"


class DamagedRecord(StorageError):
    """A stored case or event no longer reads back (edited outside the engine):
    reading it is refused, naming it; ``bangfu audit verify`` says exactly what changed."""

    code = "damaged_record"

    def __init__(self, case: str, detail: str) -> None:
        self.case = case
        super().__init__(
            f"The stored record of case '{case}' is damaged and cannot be read ({detail}); "
            "it was changed outside the engine. Run 'bangfu audit verify' to see where",
            f"案件 '{case}' 的存储记录已损坏，无法读取（{detail}），说明曾在系统之外被改动；"
            "请运行 bangfu audit verify 查看具体位置")


class SchemaOutdated(StorageError):
    """The database is at an older schema than the code: nothing runs on it until
    ``bangfu db upgrade`` has brought it up (after a backup)."""

    code = "schema_outdated"

    def __init__(self, db: str, current: str, head: str, legacy: bool = False) -> None:
        self.db, self.current, self.head = db, current, head
        en_at = f"{current} (release 9dd431c, made before migrations)" if legacy else current
        zh_at = f"{current}（9dd431c 版本，迁移前创建）" if legacy else current
        command = "bangfu db backup --db {db} {file} && bangfu db upgrade --db {db}"
        super().__init__(
            f"Database '{db}' is at schema revision {en_at}, older than this Bangfu's "
            f"{head}; back it up and upgrade it first: "
            + command.format(db=db, file="BACKUP-FILE"),
            f"数据库 '{db}' 的结构版本为 {zh_at}，低于本程序的 {head}；请先备份再升级："
            + command.format(db=db, file="备份文件"))


class SchemaTooNew(StorageError):
    """The database was upgraded by a newer Bangfu: this one refuses it untouched."""

    code = "schema_too_new"

    def __init__(self, db: str, current: str, head: str) -> None:
        self.db, self.current, self.head = db, current, head
        super().__init__(
            f"Database '{db}' is at schema revision '{current}', which this Bangfu (newest "
            f"revision {head}) does not know: it was upgraded by a newer Bangfu; run that "
            "version (nothing was changed)",
            f"数据库 '{db}' 的结构版本 '{current}' 本程序（最新为 {head}）不认识：它已由更新"
            "版本的 Bangfu 升级，请使用那个版本（数据库未作任何改动）")


class AuditError(CommandRejected):
    """An audit command that cannot run as asked (a replay before the case
    existed, a state map naming unknown states)."""

    code = "audit_error"


class SubstitutionRefused(CommandRejected):
    """A substitute's period that may not be recorded or ended: the same person, a
    period out of bounds, a chain of substitutes, an overlap; nothing was written."""

    code = "substitution_refused"


class MigrationRefused(CommandRejected):
    """A migration that would strand cases; nothing was changed."""

    code = "migration_refused"

    def __init__(self, process: str, target: int, stranded: list[tuple[str, str, str]]) -> None:
        self.stranded = stranded
        shown = stranded[:10]
        more = len(stranded) - len(shown)
        en = "; ".join(f"'{c}': {e}" for c, e, _ in shown) + (f"; and {more} more" if more else "")
        zh = ";".join(f"'{c}':{z}" for c, _, z in shown) + (f";另有 {more} 件" if more else "")
        super().__init__(
            f"Migrating '{process}' to version {target} would strand {len(stranded)} case(s), "
            f"so nothing was changed: {en}",
            f"迁移 '{process}' 到第 {target} 版会使 {len(stranded)} 件案件无法继续办理，未做任何改动：{zh}")
