"""The publish stage: rendered ``Page`` records → the wiki, through the ledger.

``runner`` (the run loop), ``policy`` (stop requests, shutoff page, throttle, edit limit),
``ledger`` (SQLite, migrations), ``wiki`` (pywikibot login and the raw API), ``update``
(the second pass over the bot's own pages), ``match`` (current rendering → published
articles), ``update_report``, ``collisions``, ``status``, ``credentials``, ``runlog``. It publishes ``Page``
records and imports nothing of ``uploader.parse`` or ``uploader.render``.
"""
