"""A run is a directory: the contract between the trainer and everything that looks at it.

One file per concern, read in this order: files (safe I/O, RunError), config (TrainConfig, run
names), lock (one trainer per run, stopping it), status (status.json), metrics (metrics.jsonl),
checkpoints (weights and snapshots), rundir (RunDir ties them together; list_runs,
validate_run_folder). Callers import from here: `from vae.run import RunDir`.
"""
from .checkpoints import MAX_WEIGHT, SNAPSHOT_RE, NeedsTrust
from .config import DATASET_NAMES, MAX_SEED, NAME_RE, TrainConfig, validate_name
from .files import MAX_JSON_BYTES, MAX_METRICS_BYTES, RunError, write_json_atomic
from .lock import pid_signal_problem
from .metrics import MAX_LINE_BYTES, REQUIRED_METRICS
from .rundir import DEFAULT_ROOT, RunDir, check_root, list_runs, validate_run_folder
from .status import STATES, format_seconds

__all__ = ["DATASET_NAMES", "DEFAULT_ROOT", "MAX_JSON_BYTES", "MAX_LINE_BYTES", "MAX_METRICS_BYTES",
           "MAX_SEED", "MAX_WEIGHT", "NAME_RE", "NeedsTrust", "REQUIRED_METRICS", "SNAPSHOT_RE", "STATES",
           "RunDir", "RunError", "TrainConfig", "check_root", "format_seconds", "list_runs",
           "pid_signal_problem", "validate_name", "validate_run_folder", "write_json_atomic"]
