"""`python -m torch.distributed.run ... tests/ddp_probe.py <vae.train flags>`: vae.train.main on every
rank, watched. Used by tests/test_distributed.py.

PROBE_ROOT    on ranks other than 0, every write, rename, mkdir or removal under this folder is
              recorded (Python's audit hooks see open() with a write mode, os.open with write flags,
              os.replace, os.mkdir, os.remove) and written as JSON to PROBE_REPORT.<rank> at the end
PROBE_NAN     "RANK:CALLS": on that rank, -log p(x|z) turns NaN after CALLS training forwards
"""
import json
import os
import sys

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
rank = int(os.environ.get("RANK", "0"))
root = os.path.realpath(os.environ["PROBE_ROOT"])
writes: list[str] = []
busy = [False]


def _under_root(path) -> str | None:
    if isinstance(path, int):
        return None
    path = os.path.abspath(os.fsdecode(path))
    return path if path == root or path.startswith(root + os.sep) else None


def audit(event: str, args) -> None:
    if busy[0]:
        return
    busy[0] = True
    try:
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & WRITE_FLAGS)
            if writing and _under_root(path):
                writes.append(f"open {path} {mode or flags}")
        elif event in ("os.rename", "os.mkdir", "os.remove", "os.rmdir", "os.truncate",
                       "os.symlink", "os.link", "shutil.rmtree", "os.chmod", "tempfile.mkstemp"):
            for a in args:
                if isinstance(a, (str, bytes, os.PathLike)) and _under_root(a):
                    writes.append(f"{event} {a}")
    finally:
        busy[0] = False


if rank != 0:
    sys.addaudithook(audit)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import vae.distributed  # noqa: E402
import vae.train  # noqa: E402

if os.environ.get("PROBE_NAN"):
    nan_rank, nan_after = map(int, os.environ["PROBE_NAN"].split(":"))
    if rank == nan_rank:
        real_forward = vae.distributed.ShardObjective.forward
        calls = [0]

        def forward(self, x, eps):
            recon, kl = real_forward(self, x, eps)
            calls[0] += 1
            return (recon * float("nan"), kl) if calls[0] > nan_after else (recon, kl)

        vae.distributed.ShardObjective.forward = forward

code = vae.train.main(sys.argv[1:])
if rank != 0:
    busy[0] = True  # the report itself is not a write under the root
    with open(f"{os.environ['PROBE_REPORT']}.{rank}", "w") as f:
        json.dump({"rank": rank, "code": code, "writes": writes}, f)
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
