"""The tests mirror ``bot/``'s packages; the scaffolding they share sits at this level.

- ``conftest.py``: loopback only, logging restored after each test, PostgreSQL skips
  counted; the fixtures ``feed_server``, ``closed_port``, ``pg_url``, ``db_url``,
  ``wire_slack``, ``wire_discord``.
- ``clirun.py``: one ``newsbot`` command in this process (``CliRunner``), or as a process
  where only a process shows it.
- ``botproc.py``: ``newsbot run`` as a real process (home folder, kill, restart, logs),
  :func:`~tests.botproc.wait_until`, :func:`~tests.botproc.outbox_settled`, and the
  newsroom the fault tests publish.
- ``chat/conftest.py``: ``newsbot run`` in this process (``RunningBot``, ``Home``).
- ``fakes/``: a local Slack and Discord (their outages and on-post hook in ``fakes/base.py``).
- ``localserver.py`` (a publisher on 127.0.0.1), ``pg.py`` (throwaway PostgreSQL
  databases), ``dbfault.py`` (a database that goes away), ``newsgen.py`` (200 stories),
  ``feedgen.py`` and ``fuzzing.py`` (Hypothesis), ``watching.py`` (the config watcher).

Tests wait for the condition they need, with a deadline that only fails the test; a fixed
sleep is a guess about a busy machine (``slow``: a test that starts a fresh Python process).
"""
