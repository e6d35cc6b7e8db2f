"""What a learner gets on Binder: the Python that Binder's builder picks, the pinned
requirements for that Python, lrcourse installed the way the builder installs it, and
every chapter notebook running in that environment.

Binder builds images with repo2docker. Run without Docker (``--no-build --debug``), it
prints the Dockerfile it would build: the Python version, and the pip commands it runs
in the repository's folder. These tests take both from that Dockerfile rather than
restating them, then replay the pip commands in a new virtual environment made with an
interpreter of that version, when the machine has one (found by name, such as
``python3.11``). pip's cache is reused and bytecode is not compiled ahead; that changes
the speed, not what is installed.

The environment is kept between runs, under the course's own virtual environment
(``.venv/binder-environments``), keyed by everything that decides what gets installed:
the interpreter, repo2docker's pip commands, requirements.txt, pyproject.toml and
runtime.txt. A change to any of them starts from an empty environment again; otherwise
lrcourse is uninstalled and every pip command is replayed on the kept environment, which
finds the pinned packages already there. ``LRCOURSE_FRESH_BINDER=1`` always starts from
an empty environment, and so does every run outside the course's ``.venv`` (a fresh
clone's first ``make test`` included).

They take a minute or more and need the package registry: they are marked ``binder``,
so ``pytest -m "not binder"`` leaves them out; ``make test`` runs them.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from run_notebook import (
    TEXT_ONLY,
    execute_each,
    execute_forked,
    failure,
    write_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
KERNEL = "lrcourse-binder-test"
PIP_STEP = re.compile(r"^RUN \$\{KERNEL_PYTHON_PREFIX\}/bin/pip install (.+)$", re.M)

pytestmark = pytest.mark.binder


@pytest.fixture(scope="module")
def dockerfile():
    """The Dockerfile repo2docker would build for this repository."""
    run = subprocess.run([sys.executable, "-m", "repo2docker", "--no-build", "--debug",
                          "--no-run", str(ROOT)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout + run.stderr


@pytest.fixture(scope="module")
def binder_version(dockerfile):
    found = re.search(r"Building conda environment for python=(\d+\.\d+)", dockerfile)
    assert found, f"repo2docker names no Python version:\n{dockerfile[:2000]}"
    return found.group(1)


def test_repo2docker_takes_the_python_version_from_the_repository(dockerfile, binder_version):
    assert "Python version unspecified" not in dockerfile, (
        f"repo2docker falls back to a default Python ({binder_version}): "
        "runtime.txt is missing or unreadable")


def _name(requirement):
    """A distribution's name as pip compares them: lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", requirement.lower())


def test_every_pin_resolves_for_binders_python(binder_version, binder_env, tmp_path):
    """Every pin of requirements.txt, with its dependencies, installs for the Python that
    Binder builds with.

    Where this machine has that Python, the Binder environment was installed from the
    pins with it, as Binder installs them (``binder_env``: afresh whenever
    requirements.txt changes), and that shows it: each pin is installed at its version,
    and pip finds every installed package's dependencies met. Otherwise pip resolves the
    pins for that Python without installing them."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    # the local package (`-e .`) is built from source; the next test installs it
    pins = [line for line in lines if line.strip() and not line.startswith(("#", "-e", "."))]
    python, _ = binder_env
    if _version(python) == binder_version:
        listed = subprocess.run([str(python), "-m", "pip", "list", "--format=json",
                                 "--disable-pip-version-check"],
                                capture_output=True, text=True, check=True)
        installed = {_name(p["name"]): p["version"] for p in json.loads(listed.stdout)}
        wrong = {pin: found for pin in pins
                 if (found := installed.get(_name(pin.split("==")[0]))) != pin.split("==")[1]}
        assert not wrong, f"pins not installed as pinned for Python {binder_version}: {wrong}"
        check = subprocess.run([str(python), "-m", "pip", "check", "--disable-pip-version-check"],
                               capture_output=True, text=True)
        assert check.returncode == 0, f"unmet dependencies in Binder's environment:\n{check.stdout}"
        return
    # Each pin on its own: a release for Binder's Python exists. Some pure-Python
    # packages (jieba) publish only a source archive, which pip builds anywhere.
    downloads = tmp_path / "downloads"
    fetch = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--python-version", binder_version,
         "--dest", str(downloads), *pins], capture_output=True, text=True)
    assert fetch.returncode == 0, (
        f"a pin of requirements.txt has no release for Python {binder_version}, the version "
        f"Binder builds with:\n{fetch.stderr[-3000:]}")
    sources = {_name(p.name.split("-")[0]) for p in downloads.glob("*.tar.gz")}
    # Then all together, with their dependencies, as wheels for that Python.
    wheels = tmp_path / "wheels.txt"
    wheels.write_text("\n".join(line for line in pins
                                if _name(line.split("==")[0]) not in sources))
    resolve = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
         "--disable-pip-version-check", "--only-binary=:all:", "--python-version",
         binder_version, "--target", str(tmp_path / "target"), "-r", str(wheels)],
        capture_output=True, text=True)
    assert resolve.returncode == 0, (
        f"requirements.txt does not resolve for Python {binder_version}, the version Binder "
        f"builds with:\n{resolve.stderr[-3000:]}")


def _version(python):
    """The version ("3.11") of the interpreter ``python``, if it runs and can make
    environments; None otherwise (a name on PATH may be a shim that refuses to run)."""
    says = subprocess.run([str(python), "-c", "import sys, venv; print(*sys.version_info[:2],"
                           " sep='.')"], capture_output=True, text=True)
    return says.stdout.strip() if says.returncode == 0 else None


def _interpreter(version):
    """A Python of ``version`` on this machine; this test's own Python if there is none."""
    for candidate in (sys.executable, shutil.which(f"python{version}")):
        if candidate is not None and _version(candidate) == version:
            return candidate
    warnings.warn(f"no Python {version} on this machine: the Binder environment uses "
                  f"Python {sys.version_info.major}.{sys.version_info.minor}", stacklevel=2)
    return sys.executable


def _copy_of_repository(dest):
    """The files a clone would have (tracked, plus new files not ignored), as Binder copies it."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def _kept_environment(interpreter, steps, base):
    """Where the environment lives: kept in the course's .venv, keyed by what it installs."""
    course_venv = ROOT / ".venv"
    if os.environ.get("LRCOURSE_FRESH_BINDER") == "1" or not (
            course_venv.is_dir() and Path(sys.prefix).resolve() == course_venv.resolve()):
        return base / "env"
    key = hashlib.sha256()
    version = subprocess.run([interpreter, "-c", "import sys; print(sys.version)"],
                             capture_output=True, text=True, check=True).stdout
    for part in (interpreter, version, *steps):
        key.update(part.encode() + b"\0")
    for name in ("requirements.txt", "pyproject.toml", "runtime.txt"):
        key.update((ROOT / name).read_bytes() + b"\0")
    return course_venv / "binder-environments" / key.hexdigest()[:16]


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory, dockerfile, binder_version):
    """(python, repository copy): repo2docker's pip commands replayed in Binder's environment."""
    base = tmp_path_factory.mktemp("binder")
    repo = _copy_of_repository(base / "repo")
    steps = PIP_STEP.findall(dockerfile)
    assert steps, f"no pip step in repo2docker's Dockerfile:\n{dockerfile[-3000:]}"
    interpreter = _interpreter(binder_version)
    env = _kept_environment(interpreter, steps, base)
    python = env / "bin" / "python"
    complete = env / "binder-steps-completed"
    if complete.exists():
        # lrcourse comes from this run's copy of the repository, never from the last one
        subprocess.run([str(python), "-m", "pip", "uninstall", "--quiet", "--yes", "lrcourse"],
                       check=True, capture_output=True)
        complete.unlink()  # written again once every step has passed
    else:
        if env.parent.name == "binder-environments":  # environments this test kept before
            shutil.rmtree(env.parent, ignore_errors=True)
        subprocess.run([interpreter, "-m", "venv", str(env)], check=True)
    for step in steps:
        args = [arg.strip('"') for arg in step.split() if arg != "--no-cache-dir"]
        # --no-compile: bytecode is written on first import anyway; compiling every file
        # of JupyterLab and Sphinx up front is most of the install's CPU time
        install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-compile",
                                  "--disable-pip-version-check", *args],
                                 cwd=repo, capture_output=True, text=True)
        assert install.returncode == 0, f"pip install {step} failed:\n{install.stderr[-3000:]}"
    # a kernel of this environment, under a name no other installation uses
    subprocess.run([str(python), "-m", "ipykernel", "install", "--prefix", str(env),
                    "--name", KERNEL], check=True, capture_output=True)
    complete.touch()
    return python, repo


def test_lrcourse_installs_as_binder_installs_it(binder_env):
    python, repo = binder_env
    where = subprocess.run([str(python), "-c", "import lrcourse; print(lrcourse.__file__)"],
                           capture_output=True, text=True, cwd=repo / "chapters")
    assert where.returncode == 0, where.stderr
    # repo2docker's last step is a plain `pip install .`: the chapters import that copy
    assert Path(where.stdout.strip()).is_relative_to(python.parent.parent), where.stdout


def _writing_bytecode():
    """This environment, but with bytecode written, as Python does by default.

    Binder's image keeps the bytecode of what its kernels import. The environment is
    installed without compiling every file ahead (``--no-compile``), so where this
    machine sets ``PYTHONDONTWRITEBYTECODE``, every kernel would compile NumPy,
    Matplotlib and IPython from source again; the first one now writes what it imports.
    """
    return {key: value for key, value in os.environ.items()
            if key != "PYTHONDONTWRITEBYTECODE"}


def test_each_notebook_is_run_and_a_failure_is_its_own(tmp_path):
    cells = {"raises": "x = 1\nraise ValueError('the third cell')", "runs": "y = 2"}
    for name, code in cells.items():
        write_notebook(tmp_path / f"{name}.ipynb", code)
    runs = execute_each([tmp_path / "raises.ipynb", tmp_path / "runs.ipynb"],
                        python=sys.executable)
    assert runs[tmp_path / "raises.ipynb"].returncode == 1
    assert "the third cell" in runs[tmp_path / "raises.ipynb"].stderr  # the traceback
    assert runs[tmp_path / "runs.ipynb"].returncode == 0


@pytest.fixture(scope="module")
def binder_runs(binder_env):
    """Every chapter run in Binder's environment, in IPython, as the portability runs
    run them (``run_notebook.execute_forked``, text only): what is checked here is that
    every chapter runs, its hidden asserts included, on what Binder installs. The book
    build draws every figure and scrubber from the same pins, and the kernel of this
    environment is checked on its own (``test_binder_kernel_runs_the_course``): a
    kernel per chapter cost about 2 CPU-s more each."""
    python, repo = binder_env
    return execute_forked([repo / "chapters" / p.name for p in NOTEBOOKS], python=python,
                          env=_writing_bytecode(), settings=TEXT_ONLY)


def test_binder_kernel_runs_the_course(binder_env):
    """A Jupyter kernel of Binder's environment, as JupyterLab starts it there, runs the
    course's code and shows its results."""
    python, repo = binder_env
    notebook = write_notebook(repo / "chapters" / "kernel_check.ipynb", f"""
import os, sys
from lrcourse import Adam, problems, run
assert os.path.samefile(sys.prefix, {str(python.parent.parent)!r}), sys.prefix
trajectory = run(Adam(lr=0.1), problems.ravine(), steps=50)
assert trajectory.final_loss < trajectory.loss[0], trajectory
trajectory""")
    run = execute_each([notebook], python=python, kernel=KERNEL, env=_writing_bytecode())
    assert run[notebook].returncode == 0, run[notebook].stderr[-3000:]


@pytest.mark.parametrize("notebook", [p.name for p in NOTEBOOKS])
def test_notebook_runs_in_the_binder_environment(binder_env, binder_runs, notebook):
    _, repo = binder_env
    path = repo / "chapters" / notebook
    assert binder_runs[path].returncode == 0, failure(path, binder_runs[path],
                                                      "on a fresh install")
