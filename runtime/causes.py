"""Why a node or job failed, in words a user can act on: exit codes and signals, HTCondor's
hold codes (condor_holdcodes.h) with a hint for the common ones, PRE/POST script failures.

A Cause is also the key failures are grouped by, so "40 nodes: exit 137, memory exceeded"
reads as one line however many nodes share it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

#: HTCondor hold reason codes jobsub explains (CONDOR_HOLD_CODE).
USER_REQUEST, JOB_POLICY, FAILED_TO_CREATE_PROCESS = 1, 3, 6
UNABLE_TO_OPEN_OUTPUT, UNABLE_TO_OPEN_INPUT = 7, 8
TRANSFER_OUTPUT_ERROR, TRANSFER_INPUT_ERROR, IWD_ERROR = 12, 13, 14
SPOOLING_INPUT, STARTD_HELD_JOB, SYSTEM_POLICY = 16, 21, 26
MAX_TRANSFER_INPUT, MAX_TRANSFER_OUTPUT, JOB_OUT_OF_RESOURCES = 32, 33, 34
INVALID_DOCKER_IMAGE, SINGULARITY_TEST_FAILED = 35, 45
JOB_DURATION_EXCEEDED, JOB_EXECUTE_EXCEEDED = 46, 47
#: The startd's HOLD_IF_MEMORY_EXCEEDED policy holds with code 21 and this subcode.
MEMORY_EXCEEDED_SUBCODE = 102

_PEAK = re.compile(r"[Pp]eak usage:?\s*(\d+)\s*(?:megabytes|MB)")
_LIMIT = re.compile(r"limit of (\d+)\s*(?:megabytes|MB)")
_MISSING = re.compile(r"(?:open file|reading from file|No such file[^:]*:?)\s*'?([^\s'()]+)")
_SIGNALS = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS",
            8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM"}


@dataclass(frozen=True)
class Cause:
    """What made a node fail (or wait on hold). `kind`: exit, signal, held, pre, post,
    submit, removed, futile (an ancestor failed), unknown."""

    kind: str
    code: int | None = None  # exit code, signal, hold code, script status
    subcode: int | None = None
    summary: str = ""  # one line: "exit 2", "held: memory exceeded"
    hint: str | None = None
    memory_asked: int | None = None  # MB
    memory_used: int | None = None  # MB

    def key(self) -> tuple:
        """Failures with equal keys are one group of the report."""
        return (self.kind, self.code, self.subcode, self.summary, self.hint)

    def as_json(self) -> dict:
        return asdict(self)


def is_memory_hold(code: int | None, subcode: int | None, reason: str | None) -> bool:
    if code == JOB_OUT_OF_RESOURCES:
        return "memory" in (reason or "").lower() or not reason
    if code == STARTD_HELD_JOB and subcode == MEMORY_EXCEEDED_SUBCODE:
        return True
    return code in (STARTD_HELD_JOB, SYSTEM_POLICY, JOB_POLICY) and \
        "memory" in (reason or "").lower()


def memory_to_ask(asked: int | None, used: int | None) -> int | None:
    """A request that would have been enough: a quarter above the peak, in whole 256 MB,
    or twice the old request when the peak is not known."""
    if used:
        need = int(used * 1.25) + 1
        return -(-need // 256) * 256
    return asked * 2 if asked else None


def _memory_hint(asked: int | None, used: int | None) -> str:
    ask = memory_to_ask(asked, used)
    more = f"ask for --memory {ask}MB (memory: {ask}MB)" if ask else "ask for more --memory"
    return (f"{more}, or let it retry with more: retry: {{count: 2, memory: {{factor: 2}}}} "
            "(--memory-retry 2)")


def memory_used_from(reason: str | None) -> int | None:
    m = _PEAK.search(reason or "")
    return int(m.group(1)) if m else None


def memory_limit_from(reason: str | None) -> int | None:
    m = _LIMIT.search(reason or "")
    return int(m.group(1)) if m else None


def held(code: int | None, subcode: int | None, reason: str | None,
         asked: int | None = None, used: int | None = None) -> Cause:
    """A job held by HTCondor: what the hold means, and what to do about it."""
    reason = " ".join((reason or "").split())
    used = used or memory_used_from(reason)
    asked = asked or memory_limit_from(reason)
    if is_memory_hold(code, subcode, reason):
        amounts = ""
        if asked and used:
            amounts = f", asked {asked} MB, used up to {used} MB"
        elif used:
            amounts = f", used up to {used} MB"
        return Cause("held", code, subcode, f"held: memory exceeded{amounts}",
                     _memory_hint(asked, used), asked, used)
    if code == TRANSFER_INPUT_ERROR:
        m = _MISSING.search(reason)
        what = f" {m.group(1)}" if m else ""
        return Cause("held", code, subcode, f"held: an input file could not be transferred"
                     f"{what}", "check that the input exists and is readable where the job "
                     "fetches it (-f / input_file); then jobsub release, or rescue", asked,
                     used)
    if code == TRANSFER_OUTPUT_ERROR:
        return Cause("held", code, subcode, "held: the job's output could not be transferred "
                     "back", "a file it should write (or a -d folder) is missing, or the "
                     "access point's disk is full; see the job's stderr", asked, used)
    if code in (FAILED_TO_CREATE_PROCESS, UNABLE_TO_OPEN_INPUT) or \
            "exec format error" in reason.lower() or "no such file" in reason.lower():
        return Cause("held", code, subcode, "held: the executable could not be started",
                     "check that the executable exists, is executable and starts with a "
                     "#! line for its interpreter", asked, used)
    if code in (JOB_DURATION_EXCEEDED, JOB_EXECUTE_EXCEEDED) or \
            "lifetime" in reason.lower() or "wall" in reason.lower():
        return Cause("held", code, subcode, "held: it ran longer than it was allowed",
                     "ask for more time: --expected-lifetime (expected_lifetime:)", asked,
                     used)
    if code in (MAX_TRANSFER_INPUT, MAX_TRANSFER_OUTPUT):
        return Cause("held", code, subcode, "held: its files are larger than the site allows "
                     "to transfer", "ship large inputs through the site's storage (a "
                     "tarball in the dropbox, or a copy in the job), not as -f files",
                     asked, used)
    if code in (INVALID_DOCKER_IMAGE, SINGULARITY_TEST_FAILED):
        return Cause("held", code, subcode, "held: its container image could not be used",
                     "check --singularity-image", asked, used)
    if code == USER_REQUEST:
        return Cause("held", code, subcode, "held by a person (jobsub hold / condor_hold)",
                     "jobsub release it when it should go on", asked, used)
    if code == SPOOLING_INPUT:
        return Cause("held", code, subcode, "held: its files never arrived at the schedd",
                     "submit it again", asked, used)
    text = reason or "no reason given"
    return Cause("held", code, subcode, f"held (code {code}): {_short(text)}",
                 "see the hold reason; jobsub release it once the cause is fixed", asked,
                 used)


def exited(code: int, asked: int | None = None, used: int | None = None) -> Cause:
    if code in (137, 9 + 128) and (not asked or not used or used >= asked * 0.9):
        return Cause("exit", code, None, "exit 137: killed (SIGKILL), most likely for using "
                     "more memory than it asked for", _memory_hint(asked, used), asked, used)
    if code == 127:
        return Cause("exit", code, None, "exit 127: a command it runs was not found",
                     "see the job's stderr for the command's name", asked, used)
    if code == 126:
        return Cause("exit", code, None, "exit 126: a command it runs is not executable",
                     "check the file's permissions and its #! line", asked, used)
    if code > 128 and code - 128 in _SIGNALS:
        return Cause("exit", code, None, f"exit {code}: killed by {_SIGNALS[code - 128]}",
                     "see the job's stderr", asked, used)
    return Cause("exit", code, None, f"exit {code}", "see the job's stderr", asked, used)


def signalled(signal: int, asked: int | None = None, used: int | None = None) -> Cause:
    name = _SIGNALS.get(signal, f"signal {signal}")
    if signal == 9:
        return Cause("signal", signal, None, "killed by SIGKILL, most likely for using more "
                     "memory than it asked for", _memory_hint(asked, used), asked, used)
    return Cause("signal", signal, None, f"killed by {name}", "see the job's stderr", asked,
                 used)


def script(kind: str, status: str | None) -> Cause:
    """A PRE or POST script failed with `status` ("exit 3", or how it died)."""
    code = int(status.split()[-1]) if status and status.startswith("exit ") else None
    return Cause(kind.lower(), code, None,
                 f"{kind} script failed" + (f" ({status})" if status else ""),
                 f"the {kind} script runs on the access point; see its output in the "
                 "DAG's dagman.out (jobsub fetchlog)" if kind == "PRE" else
                 "the POST script judged the job's result; see the job's stdout/stderr and "
                 "what the script checks")


def removed(reason: str | None) -> Cause:
    return Cause("removed", None, None, f"removed: {_short(reason or 'no reason given')}",
                 None)


def submit_failed(message: str | None) -> Cause:
    return Cause("submit", None, None, "its job could not be submitted",
                 _short(message or "see the DAG's dagman.out"))


FUTILE = Cause("futile", None, None, "a node it depends on failed",
               "it runs when the nodes before it succeed (jobsub rescue)")
UNKNOWN = Cause("unknown", None, None, "failed; the logs do not say why",
                "see the DAG's dagman.out (jobsub fetchlog)")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
