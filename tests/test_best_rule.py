"""Which measured checkpoint is the best (core/training/best.py)."""

from ganstudio.core.training.best import BestRule

KID_THEN_SWD = BestRule("kid", tie_break="swd", noise=0.06)


def replay(rule, measurements, record=None):
    """Judge (kid, swd) pairs at steps 1, 2, ...; return the best step after each and the record."""
    bests = []
    for step, (kid, swd) in enumerate(measurements, start=1):
        is_best, record = rule.judge(record, step, step / 10, {"kid": kid, "swd": swd})
        assert is_best == (record["step"] == step)
        bests.append(record["step"])
    return bests, record


def test_without_a_tie_break_the_lowest_score_is_the_best():
    bests, _ = replay(BestRule("kid"), [(100, 9), (80, 9), (81, 1), (79.9, 50)])
    assert bests == [1, 2, 2, 4]


def test_a_higher_is_better_score_keeps_the_highest():
    rule = BestRule("psnr_gain", lower_is_better=False)
    record = None
    bests = []
    for step, gain in enumerate([0.5, 1.5, 1.4, 2.0], start=1):
        _, record = rule.judge(record, step, 0.0, {"psnr_gain": gain})
        bests.append(record["step"])
    assert bests == [1, 2, 2, 4]


def test_within_the_noise_of_the_lowest_kid_the_lower_swd_wins():
    # The end of a 30-minute oxygen run: KID flat at 75-89 while SWD falls from 55 to 37.
    bests, record = replay(KID_THEN_SWD, [(74.8, 54.8), (77.0, 47.9), (81.0, 39.8), (77.8, 36.7), (89.2, 34.0)])
    # 77.0 and 77.8 are within 6% of 74.8 and have the lower SWD; 81.0 and 89.2 are not tied.
    assert bests == [1, 2, 2, 4, 4]
    assert record["value"] == 77.8 and record["tie_break_value"] == 36.7 and record["best_seen"] == 74.8


def test_a_kid_below_the_old_best_by_more_than_the_noise_wins_whatever_its_swd():
    bests, _ = replay(KID_THEN_SWD, [(100, 40), (102, 30), (90, 80)])
    assert bests == [1, 2, 3]


def test_a_new_lowest_kid_within_the_noise_needs_the_lower_swd():
    bests, record = replay(KID_THEN_SWD, [(80, 40), (78, 45), (84, 39)])
    # 78 is tied with 80 (worse SWD): not the best, but it is now the lowest KID seen, so 84 is
    # outside the noise (84 > 78 * 1.06) even though it would be tied with 80.
    assert bests == [1, 1, 1]
    assert record["best_seen"] == 78


def test_the_best_cannot_drift_up_a_step_at_a_time():
    # Each KID is within the noise of the one before, with a lower SWD; the best stays within the
    # noise of the lowest KID ever seen, so the drift stops there.
    kids = [70.0 * 1.04**i for i in range(6)]
    bests, record = replay(KID_THEN_SWD, [(k, 50 - i) for i, k in enumerate(kids)])
    assert bests == [1, 2, 2, 2, 2, 2]
    assert record["value"] <= 70.0 * 1.06


def test_a_record_of_another_score_does_not_count():
    old = {"step": 9, "kimg": 1.0, "metric": "swd", "value": 1e-9}
    is_best, record = KID_THEN_SWD.judge(old, 10, 2.0, {"kid": 500.0, "swd": 90.0})
    assert is_best and record["metric"] == "kid" and record["step"] == 10


def test_a_record_from_before_the_tie_break_is_compared_on_kid_alone():
    old = {"step": 9, "kimg": 1.0, "metric": "kid", "value": 80.0}
    is_best, record = KID_THEN_SWD.judge(old, 10, 2.0, {"kid": 82.0, "swd": 1.0})
    assert not is_best and record["step"] == 9
    is_best, record = KID_THEN_SWD.judge(record, 11, 2.2, {"kid": 79.0, "swd": 50.0})
    assert is_best and record["tie_break_value"] == 50.0
    # From then on the tie-break applies.
    is_best, record = KID_THEN_SWD.judge(record, 12, 2.4, {"kid": 81.0, "swd": 40.0})
    assert is_best and record["step"] == 12
