"""Every chapter's claims hold on every machine: each notebook runs, its hidden asserts
included, under several OpenBLAS kernels and thread counts.

OpenBLAS picks its kernel from the CPU unless ``OPENBLAS_CORETYPE`` names one; different
kernels sum in different orders and round differently, and one thread takes other code
paths than several (small products, for one), so a claim that pins rounding-sensitive
digits passes on one machine and fails on the next. These runs are the only place in
the test suite that sets ``OPENBLAS_*``, and they set it only for their own child
processes.

The settings are the four kernels a learner's x86-64 machine plausibly gets:

* Prescott (SSE3), Nehalem (SSE4) and Sandybridge (AVX), each with one thread;
* Haswell (AVX2 with fused multiply-add, the kernel of most of today's laptops, Zen
  included) with as many threads as OpenBLAS starts on this machine.

The machine's own kernel with its threads is the book build's run (``make test``
builds the book with every notebook executed, in the environment as given); where that
environment presets ``OPENBLAS_CORETYPE``, one more run here clears it so the
autodetected kernel is covered too. So every chapter runs under each of these kernels
and the machine's own, with one thread and with several. The older kernels run with
one thread because several threads cost far more than they check: ``make test`` runs
these beside the book build, the browsers and the other tests, and on a busy machine a
notebook's BLAS threads spin waiting on each other (the three settings took about 150
CPU-s more with two threads). For the same reason the machine's own kernel is not run
again with one thread: about 20 CPU-s of each ``make test``, for one more pairing of a
kernel with a thread path that the other runs already take.

Each notebook runs in IPython, in a process forked for it from one that has imported
the chapters' libraries under the setting (``run_notebook.execute_forked``): a Jupyter
kernel per run cost about twice the CPU time. The runs display text only (IPython's
``text/plain``): a picture is not a claim, the book build draws every figure and every
scrubber on the machine's own kernel, and drawing them is about half of a notebook's
time. So no pyplot figure is drawn, and the static scrubbers of ``explore`` and
``race``, made only when shown as HTML, are not made. Everything a chapter computes,
checks or prints still runs, the figures' data included.

The first tests show that the settings take effect (the BLAS reports the forced core
and thread count, and rounds differently under it), so that these runs cannot quietly
be all the same run.
"""

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from run_notebook import TEXT_ONLY, execute_forked, failure, write_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
KERNELS = ("Prescott", "Nehalem", "Sandybridge", "Haswell")
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
# the kernel run with the threads OpenBLAS starts by itself; the others with one thread
THREADED = "Haswell"

# OpenBLAS builds without its pre-SSE3 kernels alias Katmai, Coppermine and Northwood to
# Prescott and report the first alias, so a forced Prescott may be named "Katmai".
REPORTED_AS = {"Prescott": {"prescott", "katmai"}}

pytestmark = pytest.mark.portability


def _settings():
    settings = {kernel: {"OPENBLAS_CORETYPE": kernel} for kernel in KERNELS}
    for kernel in KERNELS:
        if kernel != THREADED:
            settings[kernel].update(ONE_THREAD)
    if "OPENBLAS_CORETYPE" in os.environ:
        settings["autodetected"] = {"OPENBLAS_CORETYPE": None}
    return settings


SETTINGS = _settings()


def _env(overrides):
    env = dict(os.environ)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


PROBE = """
import functools
import json
import numpy as np
import scipy.linalg  # loads SciPy's own OpenBLAS as well
from threadpoolctl import threadpool_info
rng = np.random.default_rng(0)
a, b = rng.standard_normal((64, 257)), rng.standard_normal((257, 64))
print(json.dumps({
    "blas": [(i["filepath"], i["architecture"], i["num_threads"])
             for i in threadpool_info() if i["internal_api"] == "openblas"],
    "product": (a @ b).tobytes().hex(),
}))
"""


@functools.cache
def _probe(setting=None):
    """What the BLAS reports under ``setting``, or as the machine sets it (``None``)."""
    out = subprocess.run([sys.executable, "-c", PROBE], env=_env(SETTINGS.get(setting, {})),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("kernel", KERNELS)
def test_blas_runs_the_forced_kernel_with_its_threads(kernel):
    blas = _probe(kernel)["blas"]
    assert blas, "NumPy and SciPy report no OpenBLAS: these runs would not vary the kernel"
    expected = REPORTED_AS.get(kernel, {kernel.lower()})
    # the threaded kernel runs as many threads as OpenBLAS starts on this machine
    threads = {t for _, _, t in _probe()["blas"]} if kernel == THREADED else {1}
    for path, core, n in blas:
        assert core.lower() in expected, f"{path} runs {core}, not the forced {kernel}"
        assert n in threads, f"{path} runs {n} threads under {kernel}, not {threads}"


def test_forced_kernels_are_distinct_and_round_differently():
    probes = {kernel: _probe(kernel) for kernel in KERNELS}
    cores = {kernel: probe["blas"][0][1] for kernel, probe in probes.items()}
    assert len(set(cores.values())) == len(KERNELS), cores
    # SSE3 without fused multiply-add against AVX2 with it: one matrix product, two roundings
    assert probes["Prescott"]["product"] != probes["Haswell"]["product"]


KERNEL_REPORT = """
from threadpoolctl import threadpool_info
import numpy
blas = [(i["architecture"], i["num_threads"]) for i in threadpool_info()
        if i["internal_api"] == "openblas"]
assert blas and all(core.lower() in {core_names} and n == 1 for core, n in blas), blas
"""


def _run(folder, code, env, settings=""):
    """One notebook of ``code`` cells, run as the chapters are."""
    notebook = write_notebook(folder / "cells.ipynb", *code)
    return execute_forked([notebook], env=env, settings=settings)[notebook]


def test_a_notebook_run_gets_the_setting(tmp_path):
    """The notebooks run in processes started by ``execute_forked``: it must pass the
    setting on, to the BLAS that their NumPy and SciPy load."""
    code = KERNEL_REPORT.replace("{core_names}", repr(REPORTED_AS["Prescott"]))
    forced = _env(SETTINGS["Prescott"])
    assert _run(tmp_path, [code], forced).returncode == 0
    run = _run(tmp_path, [code], _env({"OPENBLAS_CORETYPE": "Haswell"}))  # it can fail
    assert run.returncode == 1 and "AssertionError" in run.stderr, run.stderr


# records every figure drawn from then on (in ``drawn``), then shows one, and a race
DRAWN = """
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
drawn, draw = [], Figure.draw
Figure.draw = lambda self, renderer: drawn.append(self) or draw(self, renderer)
plt.plot([1, 2])
plt.show()
from lrcourse import SGD, problems
from lrcourse.figures.interactive import race
raced = race({"SGD": SGD(lr=0.1)}, problems.ravine(), steps=5)
raced
"""


@pytest.mark.parametrize("shown", [False, True])
def test_notebook_runs_draw_no_figure(tmp_path, shown):
    """In the notebook runs a figure is not drawn and a race makes no static figure;
    with IPython's defaults (``shown``) both are, so the check can fail."""
    check = ("assert drawn and raced._static is not None" if shown
             else "assert not drawn and raced._static is None, (drawn, raced._static)")
    run = _run(tmp_path, [DRAWN, check], dict(os.environ), settings="" if shown else TEXT_ONLY)
    assert run.returncode == 0, run.stderr[-3000:]


def test_each_notebook_starts_afresh(tmp_path):
    """A notebook's process has imported the chapters' libraries, but its namespace is
    empty and what another notebook did is gone: a forgotten import is an error, and
    so is a name or a global random state that an earlier notebook left."""
    notebooks = {}
    for name, code in {"first": "import numpy as np\nnp.random.seed(1)\nleft = 1",
                       "forgets_import": "np.zeros(2)",
                       "reads_the_left_name": "left",
                       "reads_the_random_state": "import numpy as np\n"
                       "assert np.random.get_state()[1][0] != 1, 'the seed leaked'",
                       "fails_last": "x = 1\nassert x == 2, 'the last cell'"}.items():
        notebooks[name] = write_notebook(tmp_path / f"{name}.ipynb", code)
    runs = execute_forked(list(notebooks.values()), env=dict(os.environ))
    status = {name: runs[path].returncode for name, path in notebooks.items()}
    assert status == {"first": 0, "forgets_import": 1, "reads_the_left_name": 1,
                      "reads_the_random_state": 0, "fails_last": 1}, runs
    assert "NameError: name 'np' is not defined" in runs[notebooks["forgets_import"]].stderr
    assert "AssertionError: the last cell" in runs[notebooks["fails_last"]].stderr


def test_a_notebook_that_hangs_is_killed_and_reported(tmp_path):
    hangs = write_notebook(tmp_path / "hangs.ipynb", "import time\nwhile True: time.sleep(0.1)")
    after = write_notebook(tmp_path / "after.ipynb", "1")
    runs = execute_forked([hangs, after], env=dict(os.environ), limit=1)
    assert runs[hangs].returncode == 1 and "killed by SIGALRM after 1 s" in runs[hangs].stderr
    assert runs[after].returncode == 0, runs[after].stderr


@functools.cache
def _runs_under(setting):
    """Every chapter notebook under ``setting``, from one forking process."""
    return execute_forked(NOTEBOOKS, env=_env(SETTINGS[setting]), settings=TEXT_ONLY)


class TestNotebooksUnderEachSetting:
    """Every chapter notebook under every setting, one run after another.

    ``make test`` runs this module in a process of its own beside its other lines. The
    runs are one after another, never side by side: two notebooks at once would each
    start as many BLAS threads as the machine has cores where the setting allows it,
    and on a busy machine those threads wait on each other (chapter 6 took 40 s beside
    another notebook, against 10 s with one thread). If the tests are spread over the
    cores with pytest-xdist, ``--dist loadscope`` gives this class to one worker. The
    six notebooks of a setting are run by its first test, each in its own process
    (``execute_forked``); each test reports its own notebook."""

    @pytest.mark.parametrize("setting", list(SETTINGS))
    @pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
    def test_notebook_holds(self, notebook, setting):
        run = _runs_under(setting)[notebook]
        where = f"under {setting} ({SETTINGS[setting]})"
        assert run.returncode == 0, failure(notebook, run, where)
