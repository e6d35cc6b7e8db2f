"""The sandbox itself: hostile Python run directly inside it, without the grader's reading.

The grader also holds for review code that uses most of these tricks; here they run,
to show that the sandbox contains them even when that reading misses one.
"""

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lrcourse.teaching import sandbox

pytestmark = pytest.mark.skipif(sandbox.available() is not None,
                                reason=f"no sandbox here: {sandbox.available()}")
ROOT = Path(__file__).resolve().parents[1]


def run(code, wall=20.0, binds=(), output=1 << 20, processes=32):
    """Run ``code`` in a sandbox with the runner's caps; return (outcome, stdout text)."""
    prelude = textwrap.dedent(f"""
        import resource
        for name, value in (("RLIMIT_CPU", 20), ("RLIMIT_AS", 2 * 1024**3),
                            ("RLIMIT_FSIZE", 1 << 20), ("RLIMIT_CORE", 0),
                            ("RLIMIT_NPROC", {processes})):
            resource.setrlimit(getattr(resource, name), (value, value))
    """)
    cmd = sandbox.command([sys.executable, "-I", "-c", prelude + textwrap.dedent(code)],
                          binds=binds)
    outcome = sandbox.run(cmd, b"", sandbox.Limits(wall=wall, output=output,
                                                   processes=processes))
    return outcome, outcome.stdout.decode("utf-8", "replace")


def _processes_with(marker):
    found = []
    for pid in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline and int(pid) != os.getpid():
            found.append(pid)
    return found


def test_runs_as_nobody_without_network_or_the_course_files(tmp_path):
    mine = tmp_path / "instructor.txt"
    mine.write_text("the grader's own file\n", encoding="utf-8")
    paths = [str(ROOT / "chapters"), str(ROOT / "README.md"), str(mine)]
    outcome, out = run(f"""
        import os, socket
        print("uid", os.getuid())
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=2)
            print("network: yes")
        except OSError:
            print("network: no")
        print("interfaces", sorted(os.listdir("/sys/class/net")) if os.path.isdir(
            "/sys/class/net") else "none")
        for p in {paths!r}:
            print(p, os.path.exists(p))
    """)
    assert outcome.returncode == 0, outcome.stderr
    assert "uid 65534" in out
    assert "network: no" in out
    assert f"{ROOT / 'chapters'} False" in out and f"{ROOT / 'README.md'} False" in out
    assert f"{mine} False" in out


def test_cannot_write_outside_its_private_tmp(tmp_path):
    target = tmp_path / "pwned"
    outcome, out = run(f"""
        import os
        for p in [{str(target)!r}, "/usr/pwned", {sys.prefix!r} + "/pwned", "/pwned"]:
            try:
                with open(p, "w") as f:
                    f.write("x")
                print("wrote", p)
            except OSError as e:
                print("refused", p, type(e).__name__)
        with open("/tmp/mine", "w") as f:
            f.write("ok")
        print("tmp ok")
    """, binds=[tmp_path])
    assert outcome.returncode == 0, outcome.stderr
    assert "wrote" not in out
    assert out.count("refused") == 4 and "tmp ok" in out
    assert not target.exists()


def test_wall_clock_kills_a_process_that_ignores_signals():
    start = time.monotonic()
    outcome, _ = run("""
        import signal, time
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        while True:
            time.sleep(0.1)
    """, wall=3)
    assert outcome.timed_out and time.monotonic() - start < 10


def test_detached_process_does_not_outlive_the_sandbox():
    marker = f"lrcourse-detached-{os.getpid()}"
    outcome, _ = run(f"""
        import os, subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", {marker!r}],
                         start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
        if os.fork() == 0:
            os.setsid()
            import time
            time.sleep(60)
        print("parent exits")
    """)
    assert outcome.returncode == 0, outcome.stderr
    time.sleep(0.5)
    assert not _processes_with(marker)


def test_fork_bomb_is_capped_and_killed():
    marker = f"lrcourse-forkbomb-{os.getpid()}"
    outcome, out = run(f"""
        import os, sys, time
        sys.argv.append({marker!r})
        n = 0
        for _ in range(10000):
            try:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
            except OSError:
                break
        print("forks", n)
    """, wall=10, processes=40)
    assert outcome.returncode == 0, outcome.stderr
    assert int(out.split()[-1]) < 40 + 32  # the cap, and the runner's own allowance
    time.sleep(0.5)
    assert not _processes_with(marker)


def test_a_flood_of_output_is_read_up_to_the_cap():
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcome, _ = run("""
        import sys
        chunk = "x" * (1 << 20)
        for _ in range(1024):
            sys.stdout.write(chunk)
    """, wall=30, output=1 << 20)
    assert outcome.truncated and len(outcome.stdout) == 1 << 20
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, f"the grader grew by {grown_mb:.0f} MB"


def test_memory_is_capped():
    outcome, out = run("""
        try:
            block = bytearray(3 * 1024**3)
            print("allocated")
        except MemoryError:
            print("refused")
    """)
    assert "refused" in out and "allocated" not in out


def test_files_written_inside_vanish_with_the_sandbox():
    run("""
        import os
        os.makedirs(os.path.expanduser("~/.ipython/profile_default/startup"))
        with open(os.path.expanduser("~/.ipython/profile_default/startup/00.py"), "w") as f:
            f.write("print('planted')")
    """)
    _, out = run("""
        import os
        print(os.path.exists(os.path.expanduser("~/.ipython/profile_default/startup/00.py")))
    """)
    assert out.strip() == "False"
