"""ui.jobs (long computations in a thread) and ui.background (their progress on a page)."""
import threading

from streamlit.testing.v1 import AppTest

from ui import jobs


def test_a_job_runs_once_per_key_reports_progress_and_keeps_its_result():
    release = threading.Event()
    calls = []

    def work(report):
        calls.append(1)
        report(0.25)
        release.wait(30)
        report(2.0)  # clipped to 1
        return "done"

    key = ("test", "once", id(release))
    job = jobs.submit(key, work)
    assert jobs.submit(key, work) is job, "a second ask starts a second job"
    while job.fraction < 0.25:
        pass
    assert not job.done and job.fraction == 0.25 and job.result is None
    release.set()
    assert job.wait(30) and job.result == "done" and job.fraction == 1.0 and job.error is None
    assert jobs.submit(key, work) is job and calls == [1]
    assert job.elapsed == job.ended - job.started


def test_a_failing_job_keeps_its_error_and_can_be_asked_again():
    def boom(report):
        raise ValueError("no such weights")

    key = ("test", "boom")
    job = jobs.submit(key, boom)
    assert job.wait(30) and isinstance(job.error, ValueError) and job.result is None
    jobs.forget(key)
    assert jobs.submit(key, lambda report: 7).wait(30)
    assert next(j for j in jobs.current() if j.key == key).result == 7


def test_the_registry_keeps_at_most_max_kept_ended_jobs():
    keys = [("test", "many", i) for i in range(jobs.MAX_KEPT + 5)]
    for k in keys:
        jobs.submit(k, lambda report: 1).wait(30)
    kept = {j.key for j in jobs.current()}
    assert len(kept) <= jobs.MAX_KEPT + 1
    assert keys[-1] in kept and keys[0] not in kept


def _page():
    import threading as th

    import streamlit as st

    from ui.background import result_or_progress

    gate = st.session_state.setdefault("gate", th.Event())
    value = result_or_progress(("test-page", id(gate)), lambda report: (report(0.5), gate.wait(60),
                                                                        42)[-1],
                               what="Counting to 42")
    st.write(f"value: {value}")


def test_a_page_shows_progress_first_and_the_result_on_the_rerun_after_the_job():
    at = AppTest.from_function(_page, default_timeout=60)
    at.run()
    assert not at.exception
    bar = at.get("progress")
    assert bar and "Counting to 42" in bar[0].proto.text
    assert "The rest of the page answers meanwhile" in bar[0].proto.text
    assert at.markdown[0].value == "value: None"
    at.session_state["gate"].set()
    job = next(j for j in jobs.current() if j.key == ("test-page", id(at.session_state["gate"])))
    assert job.wait(30)
    at.run()
    assert not at.get("progress") and at.markdown[0].value == "value: 42"


def _failing_page():
    import streamlit as st

    from ui.background import result_or_progress

    def fail(report):
        raise RuntimeError("the weights file went away")

    key = ("test-page", "fails")
    value = result_or_progress(key, fail, what="The bounds")
    st.write(f"value: {value}")


def test_a_failed_job_is_said_in_words_not_raised():
    at = AppTest.from_function(_failing_page, default_timeout=60)
    at.run()  # the job fails at once: this run or the next (after it has ended) says so
    job = next((j for j in jobs.current() if j.key == ("test-page", "fails")), None)
    if job is not None:
        assert job.wait(30)
        at.run()
    assert not at.exception
    assert "The bounds failed: the weights file went away" in at.error[0].value
    assert at.markdown[-1].value == "value: None"
