"""jobsub as a library: compile workflow files, or build workflows in Python, with the
checks, options and output of the `jobsub` command.

    import jobsub

    done = jobsub.compile("analysis.dagnabbit", memory="2GB")
    done.write("analysis.jobsub")          # or: done.errors, done.files, done.workflow

    wf = jobsub.Workflow("sweep")
    setup = wf.job("bin/setup.sh")
    sims = wf.job("bin/sim.sh", "--seed", "$(seed)", matrix={"seed": range(100)},
                  after=setup, memory="2GB")
    wf.job("bin/merge.sh", after=sims)
    run = jobsub.submit(wf.compile(), "sweep.jobsub")   # spooled to a schedd of the site
    run.wait(); run.status(); run.analyze(); run.fetch("sweep.out")
"""

from jobsub.compiler.base.diagnostics import Diagnostic, JobsubError, Span

from .builder import Job, Workflow
from .results import Compiled, compile
from .runs import Run, submit

__all__ = ["Compiled", "Diagnostic", "Job", "JobsubError", "Run", "Span", "Workflow",
           "__version__", "compile", "submit"]


def __getattr__(name: str):
    """`jobsub.__version__`, read from the installed distribution only when asked (every
    command imports this package; most never need it)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("jobsub")
        except PackageNotFoundError:  # run from a source tree that is not installed
            return "0+unknown"
    raise AttributeError(f"module 'jobsub' has no attribute {name!r}")
