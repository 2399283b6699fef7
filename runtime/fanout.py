"""Ask several schedds at once.

The htcondor2 bindings hold the GIL for the whole of a call, so threads would still wait for
one schedd after another, and a schedd that hangs (20 s until the bindings give up) would
hold up the answers of all the others. Each schedd is therefore asked in a forked child
process; results come back pickled through a pipe, in the order asked.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Sequence
from typing import TypeVar

from jobsub.compiler.base.diagnostics import JobsubError

T = TypeVar("T")
R = TypeVar("R")


def _outcome(fn: Callable[[T], R], item: T) -> R | JobsubError:
    try:
        return fn(item)
    except JobsubError as err:
        return err
    except Exception as err:  # a bug in fn: carried back as one line, not lost
        return JobsubError(f"internal error: {type(err).__name__}: {err}")


def _child(fn, item, conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        data = pickle.dumps(_outcome(fn, item), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as err:  # an unpicklable result
        data = pickle.dumps(JobsubError(f"internal error: {type(err).__name__}: {err}"))
    conn.send_bytes(data)
    conn.close()
    os._exit(0)  # no atexit handlers or buffered output of the parent run twice


def each(items: Sequence[T], fn: Callable[[T], R]) -> list[R | JobsubError]:
    """fn(item) for every item, concurrently when there are several; a JobsubError in place
    of each result that failed."""
    if len(items) <= 1:
        return [_outcome(fn, item) for item in items]
    ctx = multiprocessing.get_context("fork")
    running = []
    try:
        for item in items:
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(fn, item, send), daemon=True)
            proc.start()
            send.close()
            running.append((proc, receive))
        results: list[R | JobsubError] = []
        for proc, receive in running:
            try:
                results.append(pickle.loads(receive.recv_bytes()))
            except EOFError:
                results.append(JobsubError("internal error: a query process ended without "
                                           "an answer"))
            proc.join()
        return results
    finally:
        for proc, receive in running:
            receive.close()
            if proc.is_alive():
                proc.kill()
                proc.join()
