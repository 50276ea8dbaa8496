"""Spike detection on synthetic, seeded traffic: no alert on a normal week, one on a 5× hour.

The traffic is a Korean brand's: quiet nights and busy evenings in Seoul (UTC+9), a rate per
class per hour of day, each hour's count drawn with ±30 % noise, each mention at a random
minute. Run with -s to see what the detector fired on:

    .venv/bin/pytest -s tests/listening/test_spikes.py
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ideaboard.listening.classify import LABELS, Label
from ideaboard.listening.spikes import (
    SpikeAlert,
    SpikeSettings,
    detect_spikes,
    hourly_counts,
    utc_hour,
)

Counts = dict[tuple[datetime, Label], int]

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Day 0 of the synthetic traffic; day 7 is the 8th day, the one judged.
START = datetime(2026, 11, 2, tzinfo=UTC)
DAY_8 = START + 7 * DAY

# Mentions per hour at the peak of each class, and the evening peak in UTC hours: 19:00-23:00
# in Seoul is 10:00-14:00 UTC; 00:00-07:00 in Seoul (15:00-22:00 UTC) is quiet.
PEAK: dict[Label, int] = {"question": 8, "complaint": 12, "suggestion": 3, "other": 6}
SPIKE_HOUR = 12  # UTC: 21:00 in Seoul, an evening hour when complaints are at their peak


def rhythm(utc_hour_of_day: int) -> float:
    """The share of a class's peak rate at this hour: busy evenings, quiet nights."""
    seoul_hour = (utc_hour_of_day + 9) % 24
    if 19 <= seoul_hour <= 23:
        return 1.0
    if seoul_hour < 7:
        return 0.1
    return 0.5


def rate(label: Label, utc_hour_of_day: int) -> float:
    return PEAK[label] * rhythm(utc_hour_of_day)


def normal_traffic(seed: int, days: int = 8) -> list[tuple[datetime, Label]]:
    """`days` days of mentions from START, each hour's count the rate ±30 %, oldest first."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test traffic, not security
    mentions: list[tuple[datetime, Label]] = []
    for day in range(days):
        for hour_of_day in range(24):
            hour = START + day * DAY + hour_of_day * HOUR
            for label in LABELS:
                count = round(rate(label, hour_of_day) * rng.uniform(0.7, 1.3))
                mentions.extend((hour + rng.random() * HOUR, label) for _ in range(count))
    return mentions


def count_in(mentions: list[tuple[datetime, Label]], label: Label, hour: datetime) -> int:
    """Counted here without the module, to check its numbers."""
    return sum(1 for moment, lab in mentions if lab == label and hour <= moment < hour + HOUR)


def alerts_on_day_8(counts: Counts) -> list[SpikeAlert]:
    alerts: list[SpikeAlert] = []
    for hour_of_day in range(24):
        alerts.extend(detect_spikes(counts, DAY_8 + hour_of_day * HOUR))
    return alerts


def at(day: int, hour_of_day: int) -> datetime:
    return START + day * DAY + hour_of_day * HOUR


def flat(label: Label, per_hour: dict[int, int], days: range) -> Counts:
    """Counts of one class: per_hour[hour of day] mentions in that hour on each of `days`."""
    return {(at(day, h), label): n for day in days for h, n in per_hour.items()}


# (a) a normal week


@pytest.mark.parametrize("seed", range(10))
def test_a_normal_week_with_a_daily_rhythm_and_noise_raises_no_alert_on_the_8th_day(
    seed: int,
) -> None:
    counts = hourly_counts(normal_traffic(seed))

    assert alerts_on_day_8(counts) == []


# (b) a 5× hour of complaints


def test_b_a_5x_hour_of_complaints_on_day_8_raises_exactly_one_alert_with_the_right_numbers() -> (
    None
):
    mentions = normal_traffic(seed=1)
    spike = at(7, SPIKE_HOUR)
    history = [count_in(mentions, "complaint", spike - n * DAY) for n in range(1, 8)]
    usual = int(statistics.median(history))
    # Day 8's complaints at that hour brought up to 5× the usual count.
    extra = 5 * usual - count_in(mentions, "complaint", spike)
    rng = random.Random(99)  # noqa: S311 - reproducible test traffic, not security
    mentions += [(spike + rng.random() * HOUR, "complaint") for _ in range(extra)]

    alerts = alerts_on_day_8(hourly_counts(mentions))

    assert len(alerts) == 1
    (alert,) = alerts
    assert alert.label == "complaint"
    assert alert.hour == spike
    assert alert.count == 5 * usual
    assert alert.baseline == usual
    assert alert.factor_seen == 5.0
    assert alert.history_days == 7
    assert not alert.short_history
    assert alert.as_payload() == {
        "label": "complaint",
        "hour": "2026-11-09T12:00:00+00:00",
        "count": 5 * usual,
        "baseline": float(usual),
        "factor_seen": 5.0,
        "history_days": 7,
        "baseline_days": 7,
    }
    # (g) the line the lead's note quotes
    print(f"\nspike detector fired on: {alert.describe()} [history: {history}]")


def test_the_median_baseline_is_not_raised_by_an_earlier_outage_at_the_same_hour() -> None:
    """Day 3 had a 10× outage at the spike hour; a 4× hour on day 8 still alerts. The mean
    of the seven days would have been raised by the outage to more than a third of it."""
    mentions = normal_traffic(seed=2)
    outage, spike = at(3, SPIKE_HOUR), at(7, SPIKE_HOUR)
    usual = count_in(mentions, "complaint", spike)
    mentions += [(outage + timedelta(minutes=5), "complaint")] * (9 * PEAK["complaint"])
    mentions += [(spike + timedelta(minutes=5), "complaint")] * (3 * usual)
    history = [count_in(mentions, "complaint", spike - n * DAY) for n in range(1, 8)]
    count = 4 * usual

    alerts = detect_spikes(hourly_counts(mentions), spike)

    assert count < 3.0 * statistics.mean(history), "the mean would have hidden this spike"
    assert [(a.label, a.count) for a in alerts] == [("complaint", count)]
    assert alerts[0].baseline == statistics.median(history)


# (c) the minimum count


@pytest.mark.parametrize("count", range(10))
def test_c_a_quiet_class_going_from_0_to_fewer_than_10_never_alerts(count: int) -> None:
    counts = flat("suggestion", {3: 0, 4: 1}, range(7))
    counts[(at(7, 3), "suggestion")] = count

    assert detect_spikes(counts, at(7, 3)) == []


def test_c_a_quiet_class_reaching_the_minimum_count_alerts_against_a_floor_of_1() -> None:
    counts = flat("suggestion", {3: 0, 4: 1}, range(7))
    counts[(at(7, 3), "suggestion")] = 10

    (alert,) = detect_spikes(counts, at(7, 3))

    assert (alert.count, alert.baseline, alert.factor_seen) == (10, 0.0, 10.0)


def test_c_4_an_hour_to_20_alerts_but_2_an_hour_to_9_does_not() -> None:
    counts = flat("complaint", {5: 4}, range(7)) | flat("question", {5: 2}, range(7))
    counts[(at(7, 5), "complaint")] = 20
    counts[(at(7, 5), "question")] = 9  # 4.5× its usual, but under the minimum count

    alerts = detect_spikes(counts, at(7, 5))

    assert [(a.label, a.count, a.baseline, a.factor_seen) for a in alerts] == [
        ("complaint", 20, 4.0, 5.0)
    ]


def test_c_the_settings_change_the_bar() -> None:
    counts = flat("complaint", {5: 4}, range(7))
    counts[(at(7, 5), "complaint")] = 10  # 2.5×

    assert detect_spikes(counts, at(7, 5)) == []
    assert len(detect_spikes(counts, at(7, 5), SpikeSettings(factor=2.5))) == 1
    assert detect_spikes(counts, at(7, 5), SpikeSettings(factor=2.5, min_count=11)) == []


# (d) the same hour of day


def test_d_an_evening_that_is_always_busy_does_not_alert_but_the_same_count_at_4am_does() -> None:
    # 30 complaints at 21:00 in Seoul (12:00 UTC) every evening, 2 at 04:00 in Seoul (19:00 UTC).
    counts = flat("complaint", {12: 30, 19: 2}, range(7))
    counts[(at(7, 12), "complaint")] = 30
    counts[(at(7, 19), "complaint")] = 30

    assert detect_spikes(counts, at(7, 12)) == []
    (alert,) = detect_spikes(counts, at(7, 19))
    assert (alert.label, alert.count, alert.baseline, alert.factor_seen) == (
        "complaint",
        30,
        2.0,
        15.0,
    )


# (e) short history


def test_e_two_days_of_history_alert_on_what_there_is_and_say_so() -> None:
    counts = flat("complaint", {12: 4}, range(5, 7))  # the brand began on day 5
    counts[(at(7, 12), "complaint")] = 20

    (alert,) = detect_spikes(counts, at(7, 12))

    assert (alert.history_days, alert.baseline, alert.short_history) == (2, 4.0, True)
    assert "only 2 of 7 days" in alert.describe()


def test_e_history_start_says_where_the_record_begins_and_later_empty_hours_count_as_0() -> None:
    counts: Counts = {(at(6, 12), "complaint"): 20, (at(7, 12), "complaint"): 20}

    inferred = detect_spikes(counts, at(7, 12))  # the record begins with day 6's mention
    # Listening began on day 0; days 0-5 had no complaint at 12:00, so the median is 0.
    (alert,) = detect_spikes(counts, at(7, 12), history_start=START)

    assert inferred == []  # 20 against 20
    assert (alert.history_days, alert.baseline, alert.factor_seen) == (7, 0.0, 20.0)


def test_e_less_than_a_day_of_history_never_alerts() -> None:
    begun = at(7, 2)
    counts: Counts = {(begun, "other"): 1, (at(7, 12), "complaint"): 500}

    assert detect_spikes(counts, at(7, 12)) == []
    assert detect_spikes(counts, at(7, 12), history_start=begun) == []
    assert detect_spikes({}, at(7, 12)) == []


def test_e_exactly_one_day_of_history_is_enough() -> None:
    counts: Counts = {(at(6, 12), "complaint"): 3, (at(7, 12), "complaint"): 12}

    (alert,) = detect_spikes(counts, at(7, 12))

    assert (alert.history_days, alert.baseline, alert.factor_seen) == (1, 3.0, 4.0)
    assert detect_spikes(counts, at(7, 12), SpikeSettings(min_history_days=2)) == []


def test_counts_after_the_judged_hour_are_ignored() -> None:
    counts = flat("complaint", {12: 4}, range(7))
    counts[(at(7, 12), "complaint")] = 20
    counts[(at(8, 12), "complaint")] = 1000

    assert [a.count for a in detect_spikes(counts, at(7, 12))] == [20]


# (f) time zones and daylight saving


def test_f_the_same_instant_in_seoul_and_in_utc_lands_in_the_same_utc_bucket() -> None:
    seoul = datetime(2026, 11, 9, 21, 30, tzinfo=SEOUL)  # 12:30 UTC
    utc = datetime(2026, 11, 9, 12, 59, 59, tzinfo=UTC)

    counts = hourly_counts([(seoul, "complaint"), (utc, "complaint")])

    assert counts == {(datetime(2026, 11, 9, 12, tzinfo=UTC), "complaint"): 2}
    assert utc_hour(seoul) == utc_hour(utc) == datetime(2026, 11, 9, 12, tzinfo=UTC)


def test_f_a_daylight_saving_fall_back_puts_the_repeated_local_hour_in_two_utc_buckets() -> None:
    """In New York 01:30 happens twice on 1 November 2026 (EDT, then EST): two UTC hours."""
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK, fold=0)
    second = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK, fold=1)

    counts = hourly_counts([(first, "question"), (second, "question")])

    assert counts == {
        (datetime(2026, 11, 1, 5, tzinfo=UTC), "question"): 1,
        (datetime(2026, 11, 1, 6, tzinfo=UTC), "question"): 1,
    }


def test_f_the_judged_hour_and_count_keys_may_be_given_in_any_zone() -> None:
    mentions = normal_traffic(seed=3)
    spike = at(7, SPIKE_HOUR)
    mentions += [(spike + timedelta(minutes=1), "complaint")] * (4 * PEAK["complaint"])
    utc_counts = hourly_counts(mentions)
    seoul_counts = {(hour.astimezone(SEOUL), label): n for (hour, label), n in utc_counts.items()}

    in_utc = detect_spikes(utc_counts, spike)
    in_seoul = detect_spikes(seoul_counts, spike.astimezone(SEOUL) + timedelta(minutes=59))

    assert len(in_utc) == 1
    assert in_seoul == in_utc
    assert in_seoul[0].hour.tzinfo is UTC


def test_f_a_naive_timestamp_is_refused_because_its_zone_is_unknown() -> None:
    with pytest.raises(ValueError, match="needs a time zone"):
        hourly_counts([(datetime(2026, 11, 9, 12, 30), "complaint")])
    with pytest.raises(ValueError, match="needs a time zone"):
        detect_spikes({}, datetime(2026, 11, 9, 12))


# Bad input and settings


def test_an_unknown_class_or_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mention class 'spam'"):
        hourly_counts([(START, "spam")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="cannot be negative"):
        detect_spikes({(START, "complaint"): -1}, at(7, 0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factor": 0.5}, r"factor \(IDEABOARD_SPIKE_FACTOR\) must be from 1 to 100"),
        ({"factor": float("nan")}, "must be from 1 to 100"),
        ({"min_count": 0}, r"minimum count \(IDEABOARD_SPIKE_MIN_COUNT\) must be from 1"),
        ({"baseline_days": 0}, "baseline must be 1 to 28 days"),
        ({"baseline_days": 3, "min_history_days": 4}, "minimum history must be 1 to 3 days"),
        ({"floor": 0.0}, "floor must be above 0"),
    ],
)
def test_settings_out_of_bounds_are_refused_with_a_clear_message(
    kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SpikeSettings(**kwargs)  # type: ignore[arg-type]


def test_settings_are_read_from_the_configuration_with_defaults() -> None:
    assert SpikeSettings.from_config({}) == SpikeSettings(factor=3.0, min_count=10)
    assert SpikeSettings.from_config(
        {"IDEABOARD_SPIKE_FACTOR": "2.5", "IDEABOARD_SPIKE_MIN_COUNT": "20"}
    ) == SpikeSettings(factor=2.5, min_count=20)
    with pytest.raises(ValueError, match="IDEABOARD_SPIKE_FACTOR must be a number"):
        SpikeSettings.from_config({"IDEABOARD_SPIKE_FACTOR": "lots"})
    with pytest.raises(ValueError, match="IDEABOARD_SPIKE_MIN_COUNT must be a whole number"):
        SpikeSettings.from_config({"IDEABOARD_SPIKE_MIN_COUNT": 7.5})


# Severity and speed


def test_alerts_are_sorted_by_severity() -> None:
    counts = flat("complaint", {12: 5}, range(7)) | flat("question", {12: 2}, range(7))
    counts |= flat("other", {12: 2}, range(7))
    counts[(at(7, 12), "complaint")] = 50  # 10×
    counts[(at(7, 12), "question")] = 30  # 15×
    counts[(at(7, 12), "other")] = 20  # 10×, fewer mentions than the complaints

    alerts = detect_spikes(counts, at(7, 12))

    assert [(a.label, a.factor_seen) for a in alerts] == [
        ("question", 15.0),
        ("complaint", 10.0),
        ("other", 10.0),
    ]


def test_a_year_of_hourly_counts_is_judged_in_well_under_a_second() -> None:
    rng = random.Random(5)  # noqa: S311 - reproducible test traffic, not security
    counts = {
        (START - hours * HOUR, label): rng.randint(0, 20)
        for hours in range(365 * 24)
        for label in LABELS
    }

    began = time.perf_counter()
    detect_spikes(counts, START)
    elapsed = time.perf_counter() - began

    assert elapsed < 0.25, f"judging one hour over a year of counts took {elapsed:.3f} s"
