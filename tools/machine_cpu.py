"""Run a command and report its wall time, the CPU time of its children, and the CPU
time the whole machine spent while it ran (Linux only).

    python tools/machine_cpu.py make test
    python tools/machine_cpu.py --every 3 make test   # also a line every 3 s: busy %

Why both: the CPU time of the children (what ``/usr/bin/time`` reports) counts only
processes that their parents wait for. Chromium's processes, started by Playwright's
driver for the browser and JupyterLab tests, are not among them, and they were about a
third of ``make test``'s CPU. The machine's CPU (from ``/proc/stat``) counts everything,
so run this on an otherwise idle machine.
"""

import argparse
import os
import resource
import subprocess
import sys
import threading
import time


def machine_cpu():
    """(busy, idle) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:9]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields) - idle) / ticks, idle / ticks


def _sample(every, stop, out):
    start, (busy, idle) = time.monotonic(), machine_cpu()
    while not stop.wait(every):
        now_busy, now_idle = machine_cpu()
        total = (now_busy - busy) + (now_idle - idle)
        share = 100 * (now_busy - busy) / total if total else 0
        print(f"{time.monotonic() - start:7.0f} s  machine busy {share:3.0f}%", file=out,
              flush=True)
        busy, idle = now_busy, now_idle


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, metavar="S",
                        help="also print how busy the machine was, every S seconds")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if not args.command:
        parser.error("command: name the command to run, e.g. make test")
    if not os.path.exists("/proc/stat"):
        parser.error("this needs Linux's /proc/stat")
    stop = threading.Event()
    if args.every:
        threading.Thread(target=_sample, args=(args.every, stop, sys.stderr),
                         daemon=True).start()
    busy, idle = machine_cpu()
    wall = time.monotonic()
    status = subprocess.call(args.command)
    wall = time.monotonic() - wall
    stop.set()
    now_busy, now_idle = machine_cpu()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"wall {wall:.0f} s; children's CPU {children.ru_utime + children.ru_stime:.0f} s; "
          f"machine CPU {now_busy - busy:.0f} s busy, {now_idle - idle:.0f} s idle "
          f"({os.cpu_count()} cores); exit status {status}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
