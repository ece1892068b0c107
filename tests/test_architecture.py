"""The layout is the pipeline: stage packages import only what their place allows.

``uploader.parse`` imports nothing of render or publish; ``uploader.publish`` nothing of
parse or render (it publishes ``Page`` records); only ``uploader.pipeline`` joins parse and
render. Each rule is checked in a fresh interpreter that imports every module of the stage.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("uploader"))))
"""


def _loaded_by(package: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, package],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    loaded: list[str] = json.loads(out.stdout)
    return loaded


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("uploader.parse", ("uploader.render", "uploader.publish", "uploader.pipeline")),
        ("uploader.render", ("uploader.parse", "uploader.publish", "uploader.pipeline")),
        ("uploader.publish", ("uploader.parse", "uploader.render", "uploader.pipeline")),
        ("uploader.preview", ("uploader.parse", "uploader.render", "uploader.publish")),
    ],
)
def test_architecture_stage_imports(package: str, forbidden: tuple[str, ...]) -> None:
    loaded = _loaded_by(package)
    assert any(m.startswith(package + ".") for m in loaded), loaded
    wrong = [m for m in loaded if m.startswith(forbidden)]
    assert wrong == [], f"{package} loads {wrong}"


def test_architecture_pipeline_joins_parse_and_render() -> None:
    loaded = _loaded_by("uploader.pipeline")  # the renderer itself is loaded on first use
    assert "uploader.parse.volume" in loaded and "uploader.render.title_index" in loaded
    assert not [m for m in loaded if m.startswith("uploader.publish")]


def test_architecture_preview_reads_before_the_renderer_loads() -> None:
    """What a preview or a parse imports before its reader process is forked holds neither
    Jinja2 nor mwparserfromhell nor the renderer: the main process loads them while the
    reader reads (``RenderPool.prepare``)."""
    probe = (
        "import json, sys; import uploader.cli, uploader.commands, uploader.pipeline, "
        "uploader.pipeline.pool, uploader.preview, uploader.parse.offload; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    loaded = json.loads(out.stdout)
    heavy = ("jinja2", "mwparserfromhell", "uploader.render.article", "uploader.render.validate")
    assert [m for m in loaded if m.split(".")[0] in heavy or m in heavy] == []


@pytest.mark.parametrize(
    "name",
    [
        "defaults/default.toml",
        "defaults/parser.toml",
        "defaults/abbreviations.toml",
        "defaults/sample-volume.docx",
        "templates/article.j2",
        "templates/redirect.j2",
        "templates/summary.j2",
        "templates/redirect_summary.j2",
        "templates/report.html.j2",
    ],
)
def test_architecture_defaults_are_package_data(name: str) -> None:
    assert resources.files("uploader").joinpath(name).is_file()


@pytest.mark.parametrize(
    ("link", "target"), [("config", "uploader/defaults"), ("templates", "uploader/templates")]
)
def test_architecture_checkout_folders_are_the_package_data(link: str, target: str) -> None:
    """The operator-facing config/ and templates/ are the shipped files, not copies."""
    path = ROOT / link
    if not path.exists():
        pytest.skip("not a checkout")
    assert path.resolve() == (ROOT / target).resolve()
