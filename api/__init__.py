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

__all__ = ["Compiled", "Diagnostic", "Job", "JobsubError", "Run", "Span", "Workflow",
           "__version__", "compile", "submit"]

#: What each public name is imported from, when first used: every command imports this
#: package (jobsub.cli is part of it), and a `jobsub check` needs none of the builder.
_LAZY = {"Job": "builder", "Workflow": "builder", "Compiled": "results",
         "compile": "results", "Run": "runs", "submit": "runs"}


def __getattr__(name: str):
    """The API's names, imported when first used; `jobsub.__version__`, read from the
    installed distribution only when asked."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"jobsub.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("jobsub")
        except PackageNotFoundError:  # run from a source tree that is not installed
            return "0+unknown"
    raise AttributeError(f"module 'jobsub' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "__version__"])
