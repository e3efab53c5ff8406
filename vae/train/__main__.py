"""`python -m vae.train` and `torchrun -m vae.train`: the command line (vae.train.cli)."""
import os
import sys

from .cli import main

code = main()
# Everything is written and closed by now. Skip the interpreter's teardown of torch, which is slow
# enough on a small CPU to make "stop within a second" false.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
