"""`python -m vae.train` and `torchrun -m vae.train`: the command line (vae.train.cli)."""
import os
import sys

from .stop import catch_early

catch_early()  # before PyTorch loads: a Stop pressed while the trainer starts is kept

from .cli import main  # noqa: E402  (after the handler, on purpose)

code = main()
# Everything is written and closed by now. Skip the interpreter's teardown of torch, which is slow
# enough on a small CPU to make "stop within a second" false.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
