"""What the tests share, by responsibility; test modules and conftest files import
from here, never from each other (``tests/test_quality.py`` holds that):

- ``cases``: the relief application, its people and a walk along its road;
- ``union``: the trade union's processes (the hardship archive, medical aid);
- ``engines``: engines wired like the session's prototype, and closing them;
- ``demo``: the demo campaign's database, played once per session;
- ``cli``: the command line run in-process, with a clean environment;
- ``postgres``: the PostgreSQL test server's schemas;
- ``servers``: local SMTP and HTTP servers for the channel tests.

Conftest files keep only fixtures and pytest hooks.
"""

import pkgutil

import pytest

# the helpers' own asserts (``move``, ``demo_template``) report like a test's; named
# one by one: this package itself is already imported when this runs
pytest.register_assert_rewrite(*(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)))
