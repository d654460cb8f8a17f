"""How big each rendering step of a backlog is (`StepSizer`)."""

from app.ui.widgets.render_pacing import (
    FIRST_STEP,
    MIN_SAMPLE,
    STEP_RANGE,
    STEP_SECONDS,
    TYPING_STEP_SECONDS,
    StepSizer,
    split,
)


def test_before_any_measure_the_first_step_is_fixed_and_smaller_while_typing():
    sizer = StepSizer()
    assert sizer.size(typing=False) == FIRST_STEP
    assert sizer.size(typing=True) < FIRST_STEP


def test_steps_aim_at_a_time_from_the_measured_rate():
    sizer = StepSizer()
    sizer.measured(10_000, 0.1)  # 100,000 characters a second
    assert sizer.size(typing=False) == int(100_000 * STEP_SECONDS)
    # A key: the very next step is short, not halved step by step from a long one.
    assert sizer.size(typing=True) == int(100_000 * TYPING_STEP_SECONDS)


def test_the_rate_follows_the_last_steps_and_ignores_tiny_ones():
    sizer = StepSizer()
    sizer.measured(10_000, 0.1)
    sizer.measured(MIN_SAMPLE - 1, 1.0)  # fixed costs dominate a tiny step: not a measure
    assert sizer.rate == 100_000
    sizer.measured(5_000, 0.1)  # slower now (the reply grew): halfway there
    assert sizer.rate == 75_000
    sizer.measured(20_000, 0.1)  # faster (a bigger step pays its fixed cost once): at once
    assert sizer.rate == 200_000


def test_a_scrap_left_after_a_step_joins_it():
    assert split("a" * 1000, 400) == ("a" * 400, "a" * 600)
    assert split("a" * 1000, 900) == ("a" * 1000, "")  # 100 left: under a quarter of the step
    assert split("a" * 100, 400) == ("a" * 100, "")


def test_step_sizes_stay_in_range():
    sizer = StepSizer()
    sizer.measured(MIN_SAMPLE, 100.0)
    assert sizer.size(typing=True) == STEP_RANGE[0]
    sizer = StepSizer()
    sizer.measured(10**9, 0.0)
    assert sizer.size(typing=False) == STEP_RANGE[1]


def test_a_short_step_faster_than_the_rate_raises_it() -> None:
    """A slow first measure must not leave the steps at the smallest size for good."""
    sizer = StepSizer()
    sizer.measured(MIN_SAMPLE, 1.0)  # the app was busy: 1,024 characters a second
    assert sizer.size(typing=False) == STEP_RANGE[0]
    for _ in range(20):  # steps of the smallest size, each done in 10 ms
        sizer.measured(sizer.size(typing=False), 0.01)
    assert sizer.size(typing=False) > 10 * STEP_RANGE[0]
    sizer.measured(MIN_SAMPLE // 2, 10.0)  # a short slow one proves nothing
    assert sizer.size(typing=False) > 10 * STEP_RANGE[0]
