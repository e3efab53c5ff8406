"""The Train form's validation: problems in words, or the trainer's options."""
from ui.train_form import DEFAULTS, validate


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
