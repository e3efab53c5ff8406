"""The Train form's validation: problems in words, or the trainer's options."""
import pytest

from ui.forms import train as train_form
from ui.forms.train import DEFAULTS, notes, validate


def form(**changes):
    return {**DEFAULTS, **changes}


def test_defaults_give_options_for_the_trainer():
    options, problems = validate(form(name="my-run"), existing=set())
    assert problems == []
    assert options["name"] == "my-run" and options["hidden"] == "256" and options["latent-dim"] == 2
    assert options["data-dir"] is None


def test_empty_name_is_chosen_for_the_user():
    options, problems = validate(form(), existing=set())
    assert problems == [] and options["name"].startswith("mnist-5k-z2-b1-")


def test_each_bad_field_is_named():
    _, problems = validate(form(name="bad name!", hidden="12,x", epochs=0, lr=0.0), existing=set())
    text = " ".join(problems).lower()
    assert "run name" in text and "hidden sizes" in text and "epochs" in text and "learning rate" in text


def test_existing_name_is_refused():
    _, problems = validate(form(name="taken"), existing={"taken"})
    assert problems == ["A run named 'taken' already exists: choose another name."]


def test_conv_on_digits_is_allowed_and_odd_sizes_explained():
    _, problems = validate(form(dataset="digits", arch="conv", hidden="16,32", name="ok"), set())
    assert problems == []
    _, problems = validate(form(arch="conv", hidden="32", name="ok"), set())
    assert problems and "two channel counts" in problems[0]


# issue 12: out-of-range numbers are refused in words (the page has no widget bounds that would
# refuse them silently), and a batch larger than the training set is said to be one step an epoch
@pytest.mark.parametrize("field,value,words", [
    ("epochs", 0, "epochs must be a whole number from 1 to 10000, not 0"),
    ("latent_dim", 0, "latent dim must be a whole number between 1 and 64, not 0"),
    ("batch_size", 0, "batch size must be a whole number from 1 to 65536, not 0"),
    ("lr", -0.001, "learning rate must be in (0, 1], not -0.001"),
    ("lr", 10.0, "learning rate must be in (0, 1], not 10.0"),
    ("beta", -1.0, "beta must be a number between 0 and 1000, not -1.0"),
    ("seed", 2**40, "seed must be a whole number from 0 to 4294967295"),
    ("kl_warmup", -1, "KL warm-up epochs must be a whole number from 0 to 10000"),
])
def test_out_of_range_numbers_say_why(field, value, words):
    options, problems = validate(form(name="ok", **{field: value}), set())
    assert options == {} and len(problems) == 1
    assert words.lower() in problems[0].lower(), problems


def test_a_batch_larger_than_the_training_set_is_one_step_an_epoch():
    options, problems = validate(form(name="ok", batch_size=65_536), set())
    assert problems == [] and options["batch-size"] == 65_536
    assert notes(form(batch_size=65_536)) == [
        "Batch size 65,536 is more than the 4,000 training images of MNIST 5k: every epoch is one "
        "step, over all 4,000 of them."]
    assert notes(form(batch_size=4_000)) == []


def test_stopped_words_say_how_far_the_run_got_and_what_resume_does():
    from ui.forms.train import stopped_words
    assert stopped_words("r", "stopped", "3 of 10 epochs", True) == (
        "r is stopped with 3 of 10 epochs; it can be resumed from its last saved state.")
    text = stopped_words("r", "interrupted", "no epoch", False)
    assert text.startswith("r was interrupted (no trainer runs it) with no epoch; ")
    assert "Resume starts it again from epoch 1" in text


def test_stale_words_name_the_pid_only_when_known():
    from ui.forms.train import stale_words
    assert stale_words(4321).startswith("Its status.json still says running (pid 4321), but")
    assert stale_words(None).startswith("Its status.json still says running, but no trainer")


def test_the_upload_help_states_the_limits_it_is_given():
    from ui.forms.train import upload_help
    text = upload_help(50, 5)
    assert text.startswith("At most 50 MB.") and "at least 5 images each" in text


def test_stop_words_name_the_signal_only_when_the_pid_is_known():
    assert train_form.stop_words("r1", 4242) == (
        "Asked r1 to stop (SIGTERM to its trainer, pid 4242).")
    assert train_form.stop_words("r1", None) == "Asked r1 to stop."


def test_not_started_words_list_every_problem():
    assert train_form.not_started_words(["Bad beta.", "Bad lr."]) == (
        "The run was not started:\n\n- Bad beta.\n- Bad lr.")


def test_the_posterior_caption_counts_epochs_except_for_an_imported_run():
    assert train_form.posterior_caption(True, 0) == "Posterior means of the test set."
    assert "after epoch 3, the last finished one" in train_form.posterior_caption(False, 3)
    training = train_form.posterior_caption(False, 3, training=True)
    # while it trains the plot may be behind the progress bar: it does not claim the last epoch
    assert "after epoch 3." in training and "last finished" not in training
    assert f"at most every {train_form.POSTERIOR_EVERY_S} seconds" in training


def test_the_live_posterior_is_drawn_anew_at_most_every_few_seconds_while_it_trains():
    due, every = train_form.posterior_due, train_form.POSTERIOR_EVERY_S
    old, new = ("run", 1.0, 3), ("run", 2.0, 4)
    assert not due(old, 100.0, old, 500.0, training=True)  # the same weights: shown again
    assert not due(old, 100.0, new, 100.0 + every - 0.1, training=True)  # too soon
    assert due(old, 100.0, new, 100.0 + every, training=True)
    assert due(old, 100.0, new, 100.1, training=False)  # the run has ended: its last weights now
    assert due(old, 100.0, ("other", 1.0, 3), 100.1, training=True)  # another run: at once


def test_a_kl_warm_up_longer_than_the_run_is_refused_in_words():
    options, problems = validate(form(name="ok", epochs=5, kl_warmup=10, beta=2.0), set())
    assert options == {}
    assert problems == ["The KL warm-up (10 epochs) is longer than the run (5 epochs): beta would "
                        "never reach 2, so the run would end as a weaker-KL model than it is "
                        "named for. Make the warm-up at most as long as the run."]
    options, problems = validate(form(name="ok", epochs=5, kl_warmup=5), set())
    assert problems == [] and options["kl-warmup"] == 5, "a warm-up as long as the run is fine"


def test_the_trainers_one_epoch_message_reads_in_the_singular():
    from ui.forms.train import status_words
    assert status_words("Finished 1 epochs; test -ELBO 150.00 nats/image.") == (
        "Finished 1 epoch; test -ELBO 150.00 nats/image.")
    assert status_words("Finished 11 epochs; x") == "Finished 11 epochs; x"
    assert status_words("Finished 21 epochs") == "Finished 21 epochs"


@pytest.mark.parametrize("key, typed, words", [
    ("latent_dim", "1e9", "Latent dim must be a whole number written in digits, like 2, not '1e9'"),
    ("batch_size", "12345678901234567890", "Batch size must be a whole number written in digits"),
    ("epochs", "2.5", "Epochs must be a whole number written in digits"),
])
def test_numbers_typed_as_text_are_read_as_typed_or_refused_in_words(key, typed, words):
    """A browser number field read "1e9" as 1 and rounded a 20-digit batch size without a word:
    these fields are text, and what was typed is what is checked."""
    options, problems = validate(form(**{key: typed}), set())
    assert options == {} and len(problems) == 1 and problems[0].startswith(words), problems


def test_whole_numbers_typed_as_text_reach_the_trainer_as_numbers():
    options, problems = validate(form(latent_dim=" 16 ", epochs="3", batch_size="64"), set())
    assert problems == []
    assert (options["latent-dim"], options["epochs"], options["batch-size"]) == (16, 3, 64)
