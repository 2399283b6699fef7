"""What a submission looks like now: its status and its analysis, from the queue or from
its files. The CLI (`status`, `analyze`, `report`, `rescue`) and the Python API's run
handles both read them here."""

from __future__ import annotations


def _dag_state(subject, folder, nodemap):
    """The DAG's nodes from its files, with the ads of its held and failed jobs."""
    from . import dagstate

    return dagstate.read(str(folder), nodemap, subject.top_file,
                         job_ads=_problem_ads(subject),
                         done_before=_done_before(subject, folder))


def _problem_ads(subject) -> dict[str, dict]:
    """Node jobs that were held, by cluster.proc: the memory a job used before it was held
    is in its ad, not in the logs (the queue's, or the history's once it left)."""
    from .status import history_bound

    if subject.schedd is None or subject.job is None:
        return {}
    schedd, cluster = subject.schedd, subject.job.cluster
    constraint = f"DAGManJobId == {cluster} && NumHolds > 0"
    attrs = ["ClusterId", "ProcId", "MemoryUsage", "ResidentSetSize", "RequestMemory"]
    ads = [*schedd.call("querying the queue", schedd.schedd.query, constraint, attrs),
           *schedd.call("reading the job history", schedd.schedd.history, constraint, attrs,
                        match=-1, since=history_bound(cluster, int(subject.ad.get("QDate")
                                                                   or 0)))]
    return {f"{a['ClusterId']}.{a['ProcId']}": dict(a) for a in ads}


def _done_before(subject, folder) -> set[str]:
    """Nodes the rescue DAG this run started from marks done (see runtime/rescue.py)."""
    from .rescue import started_from

    found = started_from(subject, folder)
    return found.done if found else set()


def current_status(subject, force_logs: bool = False):
    """Status, and the DAG's node states when its files were read (else None)."""
    from . import status
    from . import subject as subjects

    if not subject.is_dag:
        with subjects.files(subject) as folder:
            return status.from_procs(subject, subjects.node_map(subject, folder)), None
    if subject.in_queue and not subject.finished and not force_logs:
        from . import records
        from .nodemap import parse

        recorded = records.submitted_files(subject.schedd.name, subject.job.cluster)
        text = recorded.get("jobsub.json")
        nodemap = parse(text.decode(), subject.workflow_base()) if text else None
        return status.from_queue(subject, nodemap, _done_before(subject, None)), None
    with subjects.files(subject) as folder:
        if folder is None:
            return status.from_queue(subject, None), None
        nodemap = subjects.node_map(subject, folder)
        dag = _dag_state(subject, folder, nodemap)
        return status.from_logs(subject, dag, nodemap), (dag, nodemap)


def analysis(subject, lines: int = 20, keep: bool = False):
    """The analysis (with `keep`: and the DAG state and node map it came from)."""
    from . import analyze, dagstate, status
    from . import subject as subjects

    with subjects.files(subject) as folder:
        if folder is None:
            from jobsub.compiler.base.diagnostics import JobsubError

            raise JobsubError(f"the files of {subject.label} cannot be read here: it was "
                              "not spooled, and its folder is not on this machine",
                              hint="run jobsub analyze where it was submitted from")
        nodemap = subjects.node_map(subject, folder)
        if subject.is_dag:
            dag = dagstate.read(str(folder), nodemap, subject.top_file,
                                job_ads=_problem_ads(subject),
                                done_before=_done_before(subject, folder), tail_lines=lines)
            current = status.from_logs(subject, dag, nodemap)
        else:
            dag = dagstate.from_procs(subject, str(folder), nodemap, lines)
            current = status.from_procs(subject, nodemap)
    release = None
    if any(n.state == "held" for n in dag.nodes) and subject.schedd is not None:
        jobs = sorted({n.jobs[-1] for n in dag.nodes if n.state == "held" and n.jobs})
        release = "jobsub release " + " ".join(f"{j}@{subject.schedd.name}" for j in jobs[:20])
        if len(jobs) > 20:
            release = (f"jobsub release --constraint 'DAGManJobId == {subject.job.cluster}' "
                       f"--schedd {subject.schedd.name}")
    result = analyze.analyze(current, dag, nodemap, f"jobsub rescue {subject.label}",
                             release)
    return (result, dag, nodemap) if keep else result

