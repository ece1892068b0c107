"""A real MediaWiki 1.39 on 127.0.0.1 for server-backed tests (marker ``wiki``).

``server.LocalWiki`` runs one wiki; ``fixtures`` is the pytest plugin with the
``local_wiki`` (session) and ``wiki`` (per test, faults cleared) fixtures;
``pywikibot_site.pywikibot_env`` prepares a private pywikibot folder for a child process.
"""
