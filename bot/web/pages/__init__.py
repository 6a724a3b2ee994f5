"""The console's pages, one module each.

Adding a page (say ``alerts``):

1. ``bot/web/pages/alerts.py`` with a function ``routes(<what it reads>) -> Page``: it takes
   the narrow things the page needs (a repository, ``Callable[[], Settings]``, the
   :data:`~bot.web.app.Offload` to run blocking calls on), never the bot, and returns
   ``Page("Alerts", "/alerts", table)`` where ``table`` is an ``aiohttp.web.RouteTableDef``
   of its handlers. Handlers answer with :func:`bot.web.app.render`; anything that
   touches the store or the CPU goes through ``await run(fn, *args)``.
2. ``bot/web/templates/alerts.html`` extending ``base.html`` (``{% block title %}``,
   ``{% block main %}``); every form carries ``<input type="hidden" name="csrf"
   value="{{ csrf }}">``. Values are escaped by Jinja: never mark feed text ``|safe``.
3. Script, if any, in ``bot/web/static/alerts.js`` loaded from the template's
   ``{% block head %}`` (``<script src="/static/alerts.js" defer></script>``): no inline
   script or ``on...=`` attribute, the Content-Security-Policy refuses them. A ``fetch``
   that POSTs sends the token as the ``X-CSRF-Token`` header (read it from
   ``document.body.dataset.csrf``).
4. One line in ``WebConsole.pages`` (``bot/runtime/console.py``) that builds it from the
   bot's parts; the navigation follows that list's order.
5. Tests in ``tests/web/``: ``tests/web/conftest.py`` gives a logged-in aiohttp client and
   a browser.

The guard in ``bot/web/app.py`` has already checked the session and the CSRF token when a
handler runs.
"""
