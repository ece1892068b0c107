"""The publish stage: rendered ``Page`` records → the wiki, through the ledger.

``runner`` (the run loop), ``ledger`` (SQLite, migrations), ``wiki`` (pywikibot login and
the raw API), ``collisions``, ``status``, ``credentials``, ``runlog``. It publishes ``Page``
records and imports nothing of ``uploader.parse`` or ``uploader.render``.
"""
