"""Acceptance: a process commits a transition and is killed (SIGKILL) before it
dispatches; a dispatcher started afterwards delivers the messages to a real
SMTP server exactly once, and a second run sends nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from notifications import Dispatcher, NotifyConfig
from tests.helpers.cases import household_id
from tests.helpers.servers import SmtpServer
from workflow import Engine
from workflow.bootstrap import open_outbox

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import sys
    from workflow.bootstrap import open_dispatcher, open_engine
    from workflow.logs import configure

    configure(json_lines=True)  # logs to stderr: stdout says when the commit is done
    db, config, case = sys.argv[1:4]
    engine = open_engine(db)
    dispatcher = open_dispatcher(engine, config)
    engine.fire(case, "accept", "wang.fang")
    print("committed", flush=True)
    sys.stdin.readline()  # killed here: after the commit, before the dispatch
    dispatcher.run_once()
""")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_before_dispatch_delivers_exactly_once_after_restart(
        engine: Engine, db_path: str, new_case: Callable[..., str], tmp_path: Path,
        smtp_server: SmtpServer, make_config: Callable[[str], NotifyConfig]) -> None:
    """Transition committed, process killed, restart: each message once, then nothing."""
    text = f"""
notifications: crash
channels:
  email: {{type: smtp, host: 127.0.0.1, port: {smtp_server.port}, security: none,
          sender: bangfu@example.org, timeout: 5}}
routes:
  - {{kinds: [waiting], channels: [email]}}
"""
    config_file = tmp_path / "notifications.yaml"
    config_file.write_text(text, encoding="utf-8")
    # Not li.xiulan's household: both panel members are told.
    number = new_case("wang.fang", unit="shangcun", applicant_name="张桂英",
                      id_number=household_id(900))
    first = Dispatcher(engine, make_config(text), outbox=open_outbox(engine))
    assert first.run_once().sent == 0  # wang.fang filed it herself: nobody was told
    first.close()

    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANGFU_")}
    env["PYTHONPATH"] = str(ROOT)
    child = subprocess.Popen([sys.executable, str(script), db_path, str(config_file), number],
                             cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stderr is not None
    try:
        line = child.stdout.readline()
        if line.strip() != "committed":
            child.kill()
            pytest.fail(f"the child did not commit: {line}{child.stderr.read()[-3000:]}")
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
        if child.stdin is not None:
            child.stdin.close()
    assert smtp_server.messages == []
    pending = [m for m in engine.store.messages("waiting")  # type: ignore[attr-defined]
               if m["status"] == "pending"]
    assert {m["recipient"] for m in pending} == {"liu.qiang", "sun.li"}

    restarted = Dispatcher(engine, make_config(text), outbox=open_outbox(engine))
    report = restarted.run_once()
    assert (report.expanded, report.sent, report.failed, report.dead) == (2, 2, 0, 0)
    assert sorted(str(m["To"]) for m in smtp_server.messages) == [
        "liu.qiang@example.org", "sun.li@example.org"]
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 2
    assert all(f"【待办】案件 {number}" in str(m["Subject"]) for m in smtp_server.messages)

    again = restarted.run_once()
    assert (again.expanded, again.sent) == (0, 0)
    assert len(smtp_server.messages) == 2
    restarted.close()
