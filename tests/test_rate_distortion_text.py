"""ui.forms.rate_distortion: the sweep's progress, the plane's warnings, its table, the family."""
import numpy as np

from ui.forms import rate_distortion as rd
from vae.betas import RunPoint


def _p(name, beta, kl, recon, active, latent_dim=16):
    return RunPoint(name, "mnist-5k", latent_dim, beta, 20, kl, recon, active)


def test_sweep_progress_counts_finished_runs_and_names_those_that_will_not_finish():
    fraction, text, failed = rd.sweep_progress(
        {"a": "finished", "b": "running", "c": "failed", "d": "damaged"})
    assert fraction == 0.25
    assert text == "Sweep: 1 of 4 runs finished; the plane refreshes every few seconds"
    assert failed == ["c", "d"]
    assert rd.sweep_progress({"a": "finished"})[1] == "Sweep: 1 of 1 runs finished"


def test_collapse_warning_names_each_run_with_its_numbers_in_singular_or_plural():
    one = rd.collapse_warning([_p("b32", 32, 0.02, 208, 0)])
    assert "**b32** (beta 32: KL 0.02 nats, 0 of 16 active units). Its encoder ignores x" in one
    two = rd.collapse_warning([_p("b16", 16, 0.3, 200, 0), _p("b32", 32, 0.02, 208, 0)])
    assert ". Their encoders ignore x" in two and "**b16**" in two


def test_unused_dims_note_lists_each_partly_used_run():
    assert rd.unused_dims_note([_p("b4", 4, 9.0, 120, 11)]) == (
        "Some latent dims are unused (their mu does not move with x): b4 uses 11 of 16.")


def test_points_table_sorts_by_latent_size_then_beta_and_derives_its_columns():
    rows = rd.points_table([_p("b1", 1, 20.123, 100.456, 16), _p("b32", 32, 0.02, 208, 0),
                            _p("small", 4, 3.0, 150.0, 2, latent_dim=2)])
    assert [r["run"] for r in rows] == ["small", "b1", "b32"]
    assert rows[1]["-ELBO, nats"] == round(20.123 + 100.456, 2)
    assert rows[1]["rate (KL), nats"] == 20.123 and rows[1]["inactive dims"] == 0
    assert rows[2]["collapsed"] == "yes" and rows[1]["collapsed"] == "no"


def test_family_sentence_reads_from_the_lowest_beta_to_the_highest():
    text = rd.family_sentence(_p("b0", 0, 30.5, 80.25, 16), _p("b32", 32, 0.02, 208.0, 0))
    assert text.startswith("Same data (mnist-5k), same 16-D latent and network, 20 epochs each")
    assert "From β = 0 to β = 32 the KL falls from 30.5 to 0.02 nats" in text
    assert "rises from 80.2 to 208.0 nats" in text and "from 16 to 0 of 16" in text


def test_last_kl_per_dim_takes_the_last_logged_test_epoch_else_zeros():
    rows = [{"kind": "epoch", "test/kl_per_dim": [1.0, 2.0]}, {"kind": "step"},
            {"kind": "epoch", "test/kl_per_dim": [3.0, 4.0]}, {"kind": "epoch"}]
    assert rd.last_kl_per_dim(rows, 2) == [3.0, 4.0]
    assert rd.last_kl_per_dim([{"kind": "step"}], 3) == [0.0, 0.0, 0.0]


def test_first_of_each_class_skips_classes_without_an_image():
    labels = np.array([2, 0, 2, 0, 3])
    assert rd.first_of_each_class(labels, 4).tolist() == [1, 0, 4]


def test_the_sweep_is_over_only_when_it_was_running_and_no_run_is_on_its_way():
    assert rd.sweep_over(True, {"a": "finished", "b": "failed"})
    assert not rd.sweep_over(True, {"a": "finished", "b": "starting"})
    assert not rd.sweep_over(False, {"a": "finished"})  # nothing was refreshing


def test_the_plane_opens_on_the_active_runs_dataset_when_it_has_a_point():
    points = [RunPoint("f", "fashion-mnist", 2, 1.0, 5, 3.0, 90.0, 2), _p("m", 1.0, 3.0, 90.0, 2)]
    assert rd.plane_datasets(points, "mnist-5k") == (["fashion-mnist", "mnist-5k"], "mnist-5k")
    assert rd.plane_datasets(points, "digits")[1] == "fashion-mnist"
    assert rd.plane_datasets(points, None)[1] == "fashion-mnist"


def test_left_off_captions_say_why_each_kind_of_run_is_missing():
    assert rd.left_off_captions([], []) == []
    imported, damaged = rd.left_off_captions(["pt-vae"], ["broken", "empty"])
    assert imported.endswith("not on the plane: pt-vae.")
    assert damaged.startswith("Damaged runs") and damaged.endswith(": broken, empty.")


def test_the_collapse_legend_uses_the_engines_threshold_and_one_definition():
    from vae.losses import ACTIVE_UNIT_THRESHOLD
    text = rd.collapse_legend()
    assert f"Var over x of mu_d below {ACTIVE_UNIT_THRESHOLD:g}" in text
    assert "**collapsed**: every dim is inactive" in text and "KL under" not in text


def test_a_collapsed_row_has_no_active_unit_and_the_warning_names_none():
    rows = rd.points_table([_p("b16", 16, 0.37, 198, 2, latent_dim=2),
                            _p("b32", 32, 0.0, 208, 0, latent_dim=2)])
    by = {r["run"]: r for r in rows}
    assert by["b16"]["collapsed"] == "no" and by["b16"]["inactive dims"] == 0
    assert by["b32"]["collapsed"] == "yes" and by["b32"]["inactive dims"] == 2
