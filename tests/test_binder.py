"""What a learner gets on Binder: a fresh environment from requirements.txt alone runs
every chapter notebook.

Binder (repo2docker) installs ``requirements.txt`` from the repository root into a
clean environment; this test does the same in a new virtual environment (pip's cache
is reused) and executes each notebook of ``chapters/`` with that environment's Python,
in the notebook's own folder as JupyterLab would. It takes minutes: it is marked
``binder``, so ``pytest -m "not binder"`` leaves it out; ``make test`` runs it.
"""

import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
KERNEL = "lrcourse-binder-test"

EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, kernel_name=sys.argv[2], timeout=600,
               resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}
               ).execute()
"""

pytestmark = pytest.mark.binder


@pytest.fixture(scope="module")
def binder_python(tmp_path_factory):
    """The Python of a new virtual environment holding requirements.txt and nothing else."""
    env = tmp_path_factory.mktemp("binder") / "env"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", "requirements.txt"], cwd=ROOT, capture_output=True, text=True)
    assert install.returncode == 0, f"pip install -r requirements.txt failed:\n{install.stderr}"
    # a kernel of this environment, under a name no other installation uses
    subprocess.run([str(python), "-m", "ipykernel", "install", "--prefix", str(env),
                    "--name", KERNEL], check=True, capture_output=True)
    return python


def test_requirements_alone_install_lrcourse(binder_python):
    where = subprocess.run([str(binder_python), "-c", "import lrcourse; print(lrcourse.__file__)"],
                           capture_output=True, text=True, cwd="/")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(ROOT), where.stdout


@pytest.mark.skipif(not NOTEBOOKS, reason="no chapter notebook yet")
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_the_binder_environment(binder_python, notebook):
    run = subprocess.run([str(binder_python), "-c", EXECUTE, str(notebook), KERNEL],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, f"{notebook.name} failed on a fresh install:\n{run.stderr[-3000:]}"
