"""``python -m uploader`` is the ``upload`` command."""

from uploader.cli import main

if __name__ == "__main__":
    main()
