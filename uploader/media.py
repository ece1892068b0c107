"""Picture types: one table of image file extensions and their content types.

The parser names a picture's type from its part name; the preview names the file it writes
from the type. Both read this table.
"""

from __future__ import annotations

IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "emf": "image/emf",
    "wmf": "image/wmf",
    "svg": "image/svg+xml",
}
UNKNOWN_TYPE = "application/octet-stream"
_EXTENSION = {ctype: f".{ext}" for ext, ctype in reversed(IMAGE_TYPES.items())}
_EXTENSION.update({"image/x-emf": ".emf", "image/x-wmf": ".wmf"})


def content_type(name: str) -> str:
    """The content type of a picture part, from its file name's extension."""
    return IMAGE_TYPES.get(name.rsplit(".", 1)[-1].lower(), UNKNOWN_TYPE)


def extension(ctype: str) -> str:
    """The file extension (with its dot) for a content type; ``.bin`` when unknown."""
    return _EXTENSION.get(ctype, ".bin")
