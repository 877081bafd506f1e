"""The console's scheduled jobs, as a package.

- ``spec``: what a job is (``JobSpec``), what a run gets (``JobContext``: engine,
  scheduler id, run id and the scheduler's settings) and returns (``JobOutcome``);
- ``registry``: every job declared once (id, schedule, lease, limits, body);
- ``runner``: one run under its lease and statement limits, recorded in
  ``console_job_runs``;
- ``control``: the stop flag, statement timeouts and cancellation;
- ``recovery``: the runs and leases of schedulers that died;
- ``refresh``, ``models``, ``alerts``, ``maintenance``: the job bodies.

``scheduler.py`` decides when jobs run. Nothing is imported here, so ``core.db`` can
use ``core.jobs.control`` without loading the job bodies (which use ``core.db``).
"""
