"""The command groups of ``bangfu`` (``cli.py`` mounts them): parse, call a
service, render. No rules and no SQL here; heavy imports happen inside the
commands, so that ``bangfu --help`` starts fast.
"""
