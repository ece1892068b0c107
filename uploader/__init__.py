"""Kazakh Encyclopedia → kk.wikipedia: parse Word volumes, render wikitext, publish with a ledger.

Library first: ``iter_articles`` (parser), ``render`` (converter), ``publish`` (runner).
"""

__version__ = "0.1.0"
