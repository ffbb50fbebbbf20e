"""CPU time per turn, by process group, read from Linux's /proc.

`make bench` takes a snapshot before and after a load level and divides each
group's CPU time (user + system, the kernel's clock ticks) by the turns
answered. On a machine with C cores, the sum over all groups bounds the
throughput at about C x 1000 / (CPU ms per turn): the breakdown says which
process a faster cluster would have to make cheaper.

Groups are found by command line, so the machine's own services (PostgreSQL,
Redis, RabbitMQ) count too: the load is theirs as much as the servers'.
"""

import os
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple

TICKS = os.sysconf("SC_CLK_TCK")

# A group's name and the test a process's command line must pass.
Rule = Tuple[str, Callable[[str], bool]]

SERVICES: List[Rule] = [
    ("PostgreSQL", lambda cmd: cmd.startswith("postgres")),
    ("Redis", lambda cmd: "redis-server" in cmd),
    ("RabbitMQ", lambda cmd: "beam.smp" in cmd or "erl_child_setup" in cmd or "epmd" in cmd),
]


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU time so far; 0 when it is gone.

    Fields 14 and 15 of /proc/PID/stat, counted after the command name, which
    is in parentheses and may itself hold spaces."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _pids() -> Iterable[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def snapshot(groups: Mapping[str, Iterable[int]], rules: Optional[List[Rule]] = None) -> Dict:
    """CPU seconds by process: ``groups`` name the servers' own pids; the
    machine's services are found by ``rules``. Keyed (group, pid), so a process
    that starts between two snapshots counts from zero."""
    found: Dict[Tuple[str, int], float] = {}
    mine = {pid: name for name, pids in groups.items() for pid in pids}
    for pid in _pids():
        if pid in mine:
            found[(mine[pid], pid)] = cpu_seconds(pid)
            continue
        command = _command(pid)
        for name, test in rules if rules is not None else SERVICES:
            if command and test(command):
                found[(name, pid)] = cpu_seconds(pid)
                break
    return found


def self_snapshot() -> float:
    """This process's own CPU time: the load generator's share."""
    times = os.times()
    return times.user + times.system


def per_turn(before: Dict, after: Dict, turns: int) -> Dict[str, float]:
    """CPU milliseconds per turn by group, between two snapshots."""
    spent: Dict[str, float] = {}
    for key, seconds in after.items():
        group = key[0]
        spent[group] = spent.get(group, 0.0) + seconds - before.get(key, 0.0)
    return {group: 1000 * seconds / turns for group, seconds in spent.items()} if turns else {}
