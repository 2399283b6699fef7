"""Job ids as users write them: `1234`, `1234.0`, `1234.0@schedd`, `1234@schedd`, and
comma-separated lists of those; and the ClassAd constraints that select them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobsub.compiler.base.diagnostics import JobsubError

_ID = re.compile(r"(\d+)(?:\.(\d+))?(?:@(\S+))?")


@dataclass(frozen=True, order=True)
class JobId:
    cluster: int
    proc: int | None = None  # None: the whole cluster
    schedd: str | None = None

    def __str__(self) -> str:
        text = str(self.cluster) if self.proc is None else f"{self.cluster}.{self.proc}"
        return f"{text}@{self.schedd}" if self.schedd else text

    def local(self) -> str:
        return str(self.cluster) if self.proc is None else f"{self.cluster}.{self.proc}"

    def constraint(self) -> str:
        if self.proc is None:
            return f"ClusterId == {self.cluster}"
        return f"(ClusterId == {self.cluster} && ProcId == {self.proc})"


def owners(users: list[str]) -> str:
    """The constraint for the jobs of any of `users`."""
    return "(" + " || ".join(f"Owner == {quote(u)}" for u in users) + ")"


def looks_like_id(word: str) -> bool:
    """Whether a command-line word is job ids (a user name is not: it starts with a
    letter); a word that is neither is reported by parse_ids."""
    return not word[:1].isalpha()


def parse_ids(words: list[str]) -> list[JobId]:
    """Every id in `words` (each may be a comma list), in order, without repeats."""
    out: list[JobId] = []
    for word in words:
        for item in word.split(","):
            item = item.strip()
            if not item:
                continue
            m = _ID.fullmatch(item)
            if not m:
                raise JobsubError(f"{item!r} is not a job id",
                                  hint="write CLUSTER, CLUSTER.PROC or CLUSTER.PROC@SCHEDD")
            job = JobId(int(m.group(1)), None if m.group(2) is None else int(m.group(2)),
                        m.group(3))
            if job not in out:
                out.append(job)
    return out


def by_schedd(ids: list[JobId], default: str) -> dict[str, list[JobId]]:
    groups: dict[str, list[JobId]] = {}
    for job in ids:
        groups.setdefault(job.schedd or default, []).append(job)
    return groups


def any_of(ids: list[JobId]) -> str:
    return " || ".join(j.constraint() for j in ids) if ids else "false"


def quote(text: str) -> str:
    """A ClassAd string literal for a constraint."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
