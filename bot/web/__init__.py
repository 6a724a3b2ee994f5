"""The web console that ``newsbot run`` serves to admins (not ``bot/chat/console.py``, which
is the terminal as a chat platform).

``app.py`` is the aiohttp application and the guard every request passes (login, session,
CSRF, security headers); ``auth.py`` the keys (start-up token, password hash, signed
sessions, login rate limit); ``server.py`` where it listens and the loopback rule;
``pages/`` one module per page (its docstring says how to add one), ``templates/`` and
``static/`` what they render and load. Pages take the narrow parts they read (a
repository, a settings getter), handed to them by ``bot/runtime/bot.py``.
"""
