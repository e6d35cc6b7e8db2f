"""Run untrusted code in a bubblewrap sandbox, with caps, and read its answer.

Each run gets its own sandbox (``bwrap``): the system and the Python environment are
mounted read-only, ``/tmp`` is a private tmpfs that vanishes with the run, there is no
network, the code runs as ``nobody`` in new user, PID, IPC and UTS namespaces, and the
instructor's files and other submissions are not mounted at all (the submission travels
on standard input). Inside, the runner caps CPU time, memory, file size and the number
of processes; outside, a wall-clock timeout kills the whole sandbox, and its output is
read up to a cap. When the sandbox process dies, the kernel kills every process left in
it (``--die-with-parent`` and the PID namespace), so nothing keeps running.

The cap on processes is the kernel's ``RLIMIT_NPROC``, which the kernel does not apply
to root; when grading runs as root, each sandbox is also put in a cgroup of its own with
``pids.max`` (cgroup v2, or v1's ``pids`` hierarchy), removed after the run.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: Where the system's programs and libraries live; mounted read-only when present.
_SYSTEM = ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc/alternatives",
           "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime")
#: Environment variables passed into the sandbox as they are (BLAS settings included,
#: so the code inside computes as it would outside).
_PASSED = ("LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
           "MKL_NUM_THREADS")
NOBODY = 65534


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces on this machine."""


@dataclass
class Limits:
    """Caps of one run. ``wall`` is seconds of real time for the whole run."""

    wall: float = 60.0
    cpu: int = 60
    memory: int = 2 * 1024**3  # bytes of address space
    file_size: int = 64 * 1024**2  # bytes any file written may reach
    processes: int = 64  # besides the ones the runner starts with
    output: int = 16 * 1024**2  # bytes of answer read back


@dataclass
class Outcome:
    """What came back: the answer channel (capped), and how the run ended."""

    stdout: bytes
    stderr: bytes
    returncode: int | None
    timed_out: bool
    truncated: bool
    seconds: float


def bwrap_path():
    return shutil.which("bwrap")


def available():
    """``None`` if sandboxes can be made here, else the reason they cannot."""
    path = bwrap_path()
    if not path:
        return ("bubblewrap (the `bwrap` command, Debian/Ubuntu package `bubblewrap`) is "
                "not installed")
    probe = subprocess.run(
        [path, "--unshare-all", "--die-with-parent", "--uid", str(NOBODY), "--gid",
         str(NOBODY), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"],
        capture_output=True, text=True, timeout=30)
    if probe.returncode:
        return ("bubblewrap cannot create a sandbox here (user namespaces disabled?): "
                + probe.stderr.strip())
    return None


def _mounts(paths):
    """bwrap options mounting each existing path read-only at the same place."""
    args = []
    for p in paths:
        p = str(p)
        if os.path.islink(p):
            args += ["--symlink", os.readlink(p), p]
        elif os.path.exists(p):
            args += ["--ro-bind", p, p]
    return args


def _python_roots():
    """The interpreter's installation and the environment's packages, outermost first."""
    roots = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).parent}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        roots.add(Path(sysconfig.get_paths()[key]))
    roots = {r.resolve() for r in roots if r.exists()}
    kept = []
    for r in sorted(roots, key=lambda p: len(p.parts)):
        if not str(r).startswith(("/usr/", "/bin/", "/lib")) and not any(
                r.is_relative_to(k) for k in kept):
            kept.append(r)
    return kept


def command(argv, *, binds=(), overlays=(), env=None, cwd="/tmp/work"):
    """The bwrap command line that runs ``argv`` inside a fresh sandbox.

    ``binds`` are host paths mounted read-only at the same place; ``overlays`` are
    ``(host path, sandbox path)`` pairs mounted read-only after them (to hide a folder
    behind another).
    """
    cmd = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session",
           "--uid", str(NOBODY), "--gid", str(NOBODY), "--hostname", "sandbox",
           "--cap-drop", "ALL"]
    # The private /tmp first: the course's environment may itself live under /tmp (a
    # clone there), and is mounted back into it read-only by what follows.
    cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    cmd += _mounts(_SYSTEM)
    cmd += _mounts(_python_roots())
    cmd += _mounts(binds)
    for host, inside in overlays:
        cmd += ["--ro-bind", str(host), str(inside)]
    cmd += ["--dir", "/tmp/home", "--dir", cwd, "--remount-ro", "/", "--chdir", cwd,
            "--clearenv",
            "--setenv", "HOME", "/tmp/home", "--setenv", "PATH", "/usr/bin:/bin",
            "--setenv", "TMPDIR", "/tmp", "--setenv", "IPYTHONDIR", "/tmp/home/.ipython",
            "--setenv", "MPLBACKEND", "Agg", "--setenv", "PYTHONHASHSEED", "0"]
    for name in _PASSED:
        if name in os.environ:
            cmd += ["--setenv", name, os.environ[name]]
    for name, value in (env or {}).items():
        cmd += ["--setenv", name, value]
    return cmd + ["--", *argv]


def _pids_cgroup(limit):
    """A new cgroup allowing ``limit`` tasks, or None (not root, or no pids controller)."""
    if os.geteuid() != 0:
        return None
    v2 = Path("/sys/fs/cgroup")
    controllers = v2 / "cgroup.controllers"
    bases = ([v2] if controllers.exists() and "pids" in controllers.read_text().split()
             else []) + [v2 / "pids"]
    for base in bases:
        if not (base / "cgroup.procs").exists():
            continue
        try:
            group = Path(tempfile.mkdtemp(prefix="lrcourse-sandbox-", dir=base))
            (group / "pids.max").write_text(str(limit))
            return group
        except OSError:
            continue
    return None


def _remove_cgroup(group):
    for _ in range(50):  # the kernel empties it as the sandbox's processes are reaped
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.05)


def run(cmd, stdin_bytes, limits):
    """Run a sandbox command line, feed it ``stdin_bytes``, read its output with caps.

    The wall-clock limit kills the sandbox (and with it everything started inside); the
    answer (standard output) is read up to ``limits.output`` bytes and the rest is
    drained and dropped, so a flood of output costs neither memory nor a hang.
    """
    start = time.monotonic()
    group = _pids_cgroup(limits.processes + 32)  # the runner's own threads come on top
    if group is not None:  # enter the cgroup first, so everything started inherits it
        cmd = ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(group), *cmd]
    with tempfile.TemporaryFile() as feed:
        feed.write(stdin_bytes)
        feed.seek(0)
        proc = subprocess.Popen(cmd, stdin=feed, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    caps = {proc.stdout: limits.output, proc.stderr: 64 * 1024}
    kept = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    truncated = timed_out = False
    sel = selectors.DefaultSelector()
    for stream in kept:
        os.set_blocking(stream.fileno(), False)
        sel.register(stream, selectors.EVENT_READ)
    deadline = start + limits.wall
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _ in sel.select(timeout=min(left, 1.0)):
                chunk = os.read(key.fileobj.fileno(), 1 << 16)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                room = caps[key.fileobj] - len(kept[key.fileobj])
                if len(chunk) > room:
                    truncated |= key.fileobj is proc.stdout
                    chunk = chunk[:max(room, 0)]
                kept[key.fileobj] += chunk
        if not timed_out:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        sel.close()
        _kill(proc)
        if group is not None:
            _remove_cgroup(group)
    return Outcome(bytes(kept[proc.stdout]), bytes(kept[proc.stderr]),
                   None if timed_out else proc.returncode, timed_out, truncated,
                   time.monotonic() - start)


def _kill(proc):
    """Kill the sandbox's session; the kernel then kills what it left behind."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    for stream in (proc.stdout, proc.stderr):
        stream.close()
