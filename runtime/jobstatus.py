"""HTCondor's JobStatus values, with the letter condor_q shows and the word jobsub says:
the one table every command reads."""

from __future__ import annotations

IDLE, RUNNING, REMOVED, COMPLETED, HELD, TRANSFERRING_OUTPUT, SUSPENDED = 1, 2, 3, 4, 5, 6, 7
#: Ended: the job will not run again.
FINISHED = (REMOVED, COMPLETED)

LETTER = {IDLE: "I", RUNNING: "R", REMOVED: "X", COMPLETED: "C", HELD: "H",
          TRANSFERRING_OUTPUT: ">", SUSPENDED: "S"}
WORD = {IDLE: "idle", RUNNING: "running", REMOVED: "removed", COMPLETED: "completed",
        HELD: "held", TRANSFERRING_OUTPUT: "transferring output", SUSPENDED: "suspended"}
