"""The web interface: server-rendered pages (Jinja2 + vendored HTMX) in Ukrainian and English.

Pages call the services directly (never the app's own HTTP API) through the same single commit point as the API.
``routes.py`` holds the pages, ``i18n.py`` the gettext catalogues and locale negotiation, ``templating.py`` the
Jinja2 environment; ``static/`` is served at ``/static`` and holds everything the browser loads (no CDN).
"""
