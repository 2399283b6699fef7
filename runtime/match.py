"""Pre-flight match check: can any slot of the pool run each job, and if not, which clause of
its requirements no slot satisfies (`jobsub check --pool`, and a warning from `submit`).

Each submit file jobsub wrote becomes the job's ClassAd as far as matchmaking needs it (its
requirements, resource requests and attributes); the clauses condor_submit adds for memory,
disk, CPUs and GPUs are checked as it adds them. Every slot that can take a new job (static
and partitionable slots, not the dynamic ones carved out for running jobs) is asked once
per distinct set of the attributes the job refers to, so a pool of many identical slots
costs a few evaluations. The slot's own START expression is checked against the job too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.base.quoting import ANY_MACRO, top_level

from .pool import Pool, condor_error

#: What condor_submit adds to a job's requirements for its resource requests.
RESOURCE_CLAUSES = (("RequestMemory", "TARGET.Memory >= RequestMemory"),
                    ("RequestDisk", "TARGET.Disk >= RequestDisk"),
                    ("RequestCpus", "TARGET.Cpus >= RequestCpus"),
                    ("RequestGPUs", "TARGET.GPUs >= RequestGPUs"))
#: Slot attributes always shown when a job matches nothing.
SHOWN = ("Memory", "Disk", "Cpus", "GPUs")
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT])?B?\s*$", re.IGNORECASE)
_FACTOR = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}


@dataclass
class ClauseResult:
    clause: str
    false_on: int  # slots (of those asked) where it is not true
    example: str = ""  # a slot it fails on, with the values it read


@dataclass
class JobMatch:
    submit: str  # the submit file
    slots: int  # slots considered
    matching: int
    failing: list[ClauseResult] = field(default_factory=list)  # clauses false somewhere
    rejected_by_start: int = 0  # slots whose own START refuses the job

    @property
    def ok(self) -> bool:
        return self.matching > 0

    def explain(self) -> str:
        if self.ok:
            return f"{self.matching} of {self.slots} slot(s) can run it"
        everywhere = [c for c in self.failing if c.false_on == self.slots]
        if everywhere:
            parts = [f"{c.clause} is not true on any of the {self.slots} slot(s)"
                     + (f" ({c.example})" if c.example else "") for c in everywhere]
            return "no slot of the pool can run it: " + "; ".join(parts)
        if self.rejected_by_start == self.slots:
            return (f"no slot of the pool can run it: the START expression of all "
                    f"{self.slots} slot(s) refuses it")
        names = ", ".join(c.clause for c in self.failing) or "its requirements"
        return (f"no slot of the pool can run it: each of the {self.slots} slot(s) fails one "
                f"of {names}")


def job_ad(submit_text: str):
    """(the ClassAd matchmaking sees for a submit file jobsub wrote: requirements, resource
    requests in HTCondor's units (MB, KB) and attributes; its requirements as written).
    Macros read as a first node of a DAG would have them ($(RETRY) 0, others empty)."""
    import classad2
    import htcondor2

    sub = htcondor2.Submit(submit_text)
    ad = classad2.ClassAd()

    def expr(text: str):
        return classad2.ExprTree(_first_node(text))

    for key in sub:
        value = str(sub[key])
        name = key[1:] if key.startswith("+") else key[3:] if key.lower().startswith("my.") \
            else None
        if name:
            try:
                ad[name] = expr(value)
            except Exception:
                continue
    for key, attr, unit in (("request_memory", "RequestMemory", "M"),
                            ("request_disk", "RequestDisk", "K"),
                            ("request_cpus", "RequestCpus", None),
                            ("request_gpus", "RequestGPUs", None)):
        value = sub.get(key)
        if value is None:
            if attr == "RequestCpus":
                ad[attr] = 1
            continue
        m = _SIZE.match(str(value))
        if m and unit is not None:
            size = float(m.group(1)) * _FACTOR[(m.group(2) or unit).upper()]
            ad[attr] = int(-(-size // 1)) if unit == "M" else int(-(-size * 1024 // 1))
        elif m:
            ad[attr] = int(float(m.group(1)))
        else:
            ad[attr] = expr(str(value))
    requirements = str(sub.get("requirements") or "true")
    ad["Requirements"] = expr(requirements)
    return ad, _first_node(requirements)


def _first_node(text: str) -> str:
    """`text` as the first try of a DAG node reads it: $(RETRY) is 0, other macros empty."""
    return ANY_MACRO.sub(lambda m: "0" if m.group(1).split(":")[0].upper() == "RETRY" else "",
                         text)


def clauses(requirements: str) -> list[str]:
    """The top-level `&&` operands of an expression (parentheses and strings respected)."""
    out, start = [], 0
    for i in top_level(requirements):
        if i >= start and requirements.startswith("&&", i):
            out.append(requirements[start:i].strip())
            start = i + 2
    out.append(requirements[start:].strip())
    return [_unwrap(c) for c in out if c]


def _unwrap(clause: str) -> str:
    while clause.startswith("(") and clause.endswith(")") and len(clauses(clause[1:-1])) == 1 \
            and _balanced(clause[1:-1]):
        clause = clause[1:-1].strip()
    return clause


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += (c == "(") - (c == ")")
        if depth < 0:
            return False
    return depth == 0


def slots(pool: Pool) -> list:
    """Slots that can take a new job: static and partitionable, not the dynamic ones."""
    htcondor2 = pool.htcondor
    try:
        return list(pool.collector.query(htcondor2.AdType.Startd,
                                         'SlotType =!= "Dynamic"'))
    except Exception as err:
        raise condor_error(f"asking {pool.where} for the pool's slots", err) from None


def check(submit: str, text: str, slot_ads: list) -> JobMatch:
    """How the job of submit file `submit` (its `text`) fares against `slot_ads`."""
    job, requirements = job_ad(text)
    return check_job(submit, job, requirements, slot_ads)


def check_queued(label: str, ad, slot_ads: list) -> JobMatch:
    """How a job in the queue (its ad) fares against `slot_ads` (`jobsub q -better-analyze`)."""
    requirements = ad.lookup("Requirements") if "Requirements" in ad else None
    return check_job(label, ad, str(requirements) if requirements is not None else "true",
                     slot_ads)


def check_job(label: str, job, requirements: str, slot_ads: list) -> JobMatch:
    """How `job` (an ad) with `requirements` (its expression's text) fares against
    `slot_ads`: each clause of it, and each slot's own START policy."""
    import classad2

    submit = label
    own = clauses(requirements)
    # each clause once: a queued job's own requirements repeat the resource clauses
    wanted = dict.fromkeys([c for _, c in RESOURCE_CLAUSES if c.split()[-1] in job]
                           + [c for c in own if c.lower() != "true"])
    tests = [(c, classad2.ExprTree(c)) for c in wanted]
    refs = sorted({r for c, _ in tests for r in _refs(job, c)} | set(SHOWN))
    result = JobMatch(submit, len(slot_ads), 0)
    false_on: dict[str, int] = {c: 0 for c, _ in tests}
    examples: dict[str, str] = {}
    seen: dict[tuple, tuple[bool, list[str], bool]] = {}
    for slot in map(_whole, slot_ads):
        key = (tuple(repr(slot.get(r)) for r in refs), str(slot.get("Requirements")))
        if key not in seen:
            failed = [c for c, e in tests if e.eval(job, slot) is not True]
            start_ok = slot.get("Requirements") is None or _accepts(slot, job)
            seen[key] = (not failed and start_ok, failed, start_ok)
        matched, failed, start_ok = seen[key]
        result.matching += matched
        result.rejected_by_start += not start_ok
        for c in failed:
            false_on[c] += 1
            if c not in examples:
                examples[c] = _show(slot, _refs(job, c), job, c)
    result.failing = [ClauseResult(c, n, examples.get(c, "")) for c, n in false_on.items()
                      if n]
    return result


#: A partitionable slot's whole size: what a job can have once the jobs now running end.
_TOTALS = {"Memory": "TotalSlotMemory", "Disk": "TotalSlotDisk", "Cpus": "TotalSlotCpus",
           "GPUs": "TotalSlotGPUs"}


def _whole(slot):
    """A partitionable slot as big as it is, not as much as is left of it now."""
    if slot.get("PartitionableSlot") is not True:
        return slot
    import classad2

    whole = classad2.ClassAd(dict(slot.items()))
    for attr, total in _TOTALS.items():
        if slot.get(total) is not None:
            whole[attr] = slot[total]
    return whole


def _accepts(slot, job) -> bool:
    """The slot's own Requirements (its START policy) evaluated against the job."""
    try:
        return bool(job.matches(slot))
    except Exception:
        return False


def _refs(job, clause: str) -> list[str]:
    """The slot attributes a clause reads (TARGET.X, and bare names the job lacks)."""
    import classad2

    try:
        names = job.externalRefs(classad2.ExprTree(clause))
    except Exception:
        return []
    return sorted({n.split(".", 1)[1] if n.lower().startswith("target.") else n
                   for n in names if "." not in n or n.lower().startswith("target.")})


def _show(slot, attrs: list[str], job, clause: str) -> str:
    name = slot.get("Name", "a slot")
    values = []
    for attr in dict.fromkeys(attrs):
        value = slot.get(attr)
        values.append(f"{attr} = {'undefined' if value is None else value}")
    mine = [f"{a} = {job.get(a)}" for a in ("RequestMemory", "RequestDisk", "RequestCpus",
                                             "RequestGPUs") if a in clause and a in job]
    return f"{name}: " + ", ".join([*values, *mine])


def check_files(pool: Pool, submit_files: dict[str, str]) -> list[JobMatch]:
    """Every submit file (name -> text) against the pool's slots."""
    ads = slots(pool)
    if not ads:
        raise JobsubError(f"{pool.where} lists no slot that could take a job",
                          hint="is the pool's startd running? condor_status shows its slots")
    return [check(name, text, ads) for name, text in submit_files.items()]
