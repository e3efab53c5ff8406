"""The trainer's thread choice: explicit wins, torchrun gets one per process, and a single
process takes the cores other processes leave free."""
import multiprocessing
import os

import pytest

from vae.threads import busy_cores, choose_threads, parse_threads, usable_cores


@pytest.mark.parametrize("text, want", [(None, None), ("auto", None), ("", None), ("AUTO", None),
                                        ("1", 1), (" 3 ", 3), (2, 2)])
def test_parse_threads(text, want):
    assert parse_threads(text) == want


@pytest.mark.parametrize("text", ["0", "-1", "two", "1.5", "99999999999999999999"])
def test_parse_threads_refuses_in_words(text):
    with pytest.raises(ValueError, match="threads must be 'auto' or a whole number"):
        parse_threads(text)


def test_explicit_threads_win():
    assert choose_threads(3, busy=0.0, cores=2) == (3, "3 threads (--threads)")
    assert choose_threads(None, busy=0.0, cores=2, environ={"OMP_NUM_THREADS": "1"}) == (
        1, "1 thread (OMP_NUM_THREADS)")


def test_torchrun_gets_one_thread_per_process():
    n, why = choose_threads(None, world_size=2, busy=0.0, cores=2, environ={})
    assert n == 1 and "2 processes" in why


def test_gpu_leaves_torch_default():
    n, why = choose_threads(None, device_type="cuda", cores=2, environ={})
    assert n is None and "cuda" in why


@pytest.mark.parametrize("busy, want", [(0.0, 2), (0.3, 2), (0.6, 1), (1.0, 1), (2.0, 1), (7.5, 1)])
def test_auto_takes_the_free_cores(busy, want):
    n, why = choose_threads(None, busy=busy, cores=2, environ={})
    assert n == want
    assert f"{busy:.1f} busy" in why


def test_auto_on_a_big_idle_machine_uses_every_core():
    assert choose_threads(None, busy=0.2, cores=16, environ={})[0] == 16


def _spin(stop):
    while not stop.is_set():
        pass


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads /proc/stat (Linux)")
def test_busy_cores_sees_a_spinning_neighbour():
    quiet = busy_cores(0.2)
    assert quiet is not None and 0.0 <= quiet <= os.cpu_count()
    stop = multiprocessing.Event()
    p = multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
    p.start()
    try:
        busy = busy_cores(0.5)
    finally:
        stop.set()
        p.join(10)
    # the spinning process holds about one core on top of whatever else ran
    assert busy is not None and busy >= 0.8


def test_usable_cores_is_positive():
    assert usable_cores() >= 1


def test_cli_refuses_bad_threads_in_words(tmp_path, capsys):
    from vae.train import main
    assert main(["--threads", "two", "--root", str(tmp_path), "--name", "x"]) == 2
    assert "threads must be 'auto' or a whole number" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_cli_says_its_thread_choice_and_gives_the_caller_its_threads_back(tmp_path, capsys):
    import torch

    from vae.train import main
    before = torch.get_num_threads()
    code = main(["--dataset", "digits", "--latent-dim", "2", "--hidden", "16", "--epochs", "1",
                 "--threads", "1", "--quiet", "--root", str(tmp_path), "--name", "t"])
    assert code == 0
    assert "(threads: 1 thread (--threads))" in capsys.readouterr().err
    assert torch.get_num_threads() == before


def test_the_engine_asks_openmp_for_a_short_spin_unless_the_user_chose():
    """A short spin, then sleep: as fast as PyTorch's default on a quiet machine and as fast as
    sleeping at once beside busy neighbours (bench/README.md). A user's own choice is kept."""
    import subprocess
    import sys
    code = ("import vae, os; print(os.environ.get('GOMP_SPINCOUNT'), "
            "os.environ.get('OMP_WAIT_POLICY'))")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}

    def seen(extra):
        return subprocess.run([sys.executable, "-c", code], env={**env, **extra},
                              capture_output=True, text=True, check=True).stdout.strip()
    assert seen({}) == "10000 None"
    assert seen({"OMP_WAIT_POLICY": "ACTIVE"}) == "None ACTIVE"
    assert seen({"GOMP_SPINCOUNT": "5"}) == "5 None"
