"""One Python story: the version Binder builds with (runtime.txt) is the oldest the course
supports (requires-python), the oldest the pinned requirements allow, the one the linter
targets, and the one the README and the introduction tell readers to install.

The pins are read from the installed distributions' own metadata (``make`` installs
requirements.txt into the environment these tests run in), so no network is needed;
tests/test_binder.py resolves the same pins against the package index for Binder.
"""

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _runtime():
    text = (ROOT / "runtime.txt").read_text(encoding="utf-8").strip()
    found = re.fullmatch(r"python-(\d+)\.(\d+)", text)
    assert found, f"runtime.txt says {text!r}; Binder reads 'python-X.Y'"
    return int(found.group(1)), int(found.group(2))


MAJOR, MINOR = _runtime()
VERSION = f"{MAJOR}.{MINOR}"
OLDER = f"{MAJOR}.{MINOR - 1}"


def _pins():
    """(name, version) of each `name==version` line of requirements.txt."""
    pins = []
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith(("-", ".")):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"requirements.txt should pin exactly: {line}"
            pins.append((req.name, spec.version))
    return pins


PINS = _pins()


def _requires_python(name):
    return SpecifierSet(metadata.metadata(name).get("Requires-Python") or "")


def test_requires_python_starts_at_binders_version():
    spec = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert VERSION in spec and OLDER not in spec, (
        f"requires-python is {spec}; runtime.txt pins Binder to {VERSION}, the oldest supported")


def test_ruff_targets_binders_version():
    assert PYPROJECT["tool"]["ruff"]["target-version"] == f"py{MAJOR}{MINOR}"


@pytest.mark.parametrize("page", ["README.md", "chapters/intro.md"])
def test_page_tells_readers_the_same_version(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    assert f"Python {VERSION} or newer" in text, f"{page} should say 'Python {VERSION} or newer'"
    others = set(re.findall(r"Python (\d+\.\d+)", text)) - {VERSION}
    assert not others, f"{page} also names Python {sorted(others)}"


@pytest.mark.parametrize(("name", "version"), PINS, ids=[name for name, _ in PINS])
def test_pin_runs_on_binders_version(name, version):
    installed = metadata.metadata(name)
    assert installed["Version"] == version, (
        f"{name} {installed['Version']} is installed, requirements.txt pins {version}: "
        "reinstall with `make`")
    needs = _requires_python(name)
    assert VERSION in needs, f"{name}=={version} needs Python {needs}; Binder has {VERSION}"


def test_the_pins_need_binders_version():
    # otherwise the story undersells the course: an older Python would do
    allowing_older = [name for name, _ in PINS if OLDER in _requires_python(name)]
    assert len(allowing_older) < len(PINS), (
        f"every pin also runs on Python {OLDER}: lower runtime.txt and requires-python")


def test_pins_satisfy_the_package_dependencies():
    pinned = dict(PINS)
    for line in PYPROJECT["project"]["dependencies"]:
        req = Requirement(line)
        assert req.name in pinned, f"lrcourse needs {req.name}, which requirements.txt lacks"
        assert Version(pinned[req.name]) in req.specifier, (
            f"requirements.txt pins {req.name}=={pinned[req.name]}, lrcourse needs {req.specifier}")
