"""The parse stage: a volume file → ``Article`` records, streaming.

``iter_articles(path)`` is the entry point; the modules follow the data: ``package`` (the
container), ``runs`` (run formatting), ``blocks`` (paragraphs and tables as read),
``segment`` + ``headword`` (where articles start), ``articles`` (roles, tables, pictures,
cross-references), ``naming`` (page titles), ``records`` (the JSON record).
This package imports nothing of ``uploader.render`` or ``uploader.publish``.
"""

from uploader.parse.volume import iter_articles

__all__ = ["iter_articles"]
