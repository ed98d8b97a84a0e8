"""Business hours: open/closed, next pickup across nights, weekends, holidays and zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tools.business_hours import OfficeHours, parse_clock, zone

WEEKDAY = {"beginning_of_workday": "8:00 am", "end_of_workday": "6:00 pm"}
OFFICE = {
    "name": "Acme Office Hours",
    "time_zone": "Eastern Time (US & Canada)",
    "service_desk_hours": {d: WEEKDAY for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    "list_of_holidays": [{"holiday_date": "2026-11-26", "holiday_name": "Thanksgiving"}],
}


@pytest.fixture
def hours() -> OfficeHours:
    return OfficeHours.from_freshservice(OFFICE)


def test_parse_clock() -> None:
    assert parse_clock("8:00 am").hour == 8
    assert parse_clock("6:30 pm").hour == 18 and parse_clock("6:30 pm").minute == 30
    assert parse_clock("12:00 am").hour == 0 and parse_clock("12:15 pm").hour == 12
    assert parse_clock("18:00").hour == 18
    with pytest.raises(ValueError):
        parse_clock("late")


def test_open_during_the_day_in_the_desk_zone(hours: OfficeHours) -> None:
    # Tue 24 Nov 2026 15:00 UTC = 10:00 EST
    assert hours.is_open(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    # 02:00 EST on Tuesday is 07:00 UTC: closed, picked up at 08:00 the same day
    at = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert not hours.is_open(at)
    assert hours.describe_next_open(at) == "today at 8:00 AM EST"


def test_after_hours_skips_holiday_and_weekend(hours: OfficeHours) -> None:
    # Wed 25 Nov 20:00 EST → Thu 26 is Thanksgiving → Fri 27 at 08:00
    at = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert hours.next_open(at).isoformat() == "2026-11-27T08:00:00-05:00"
    assert hours.describe_next_open(at) == "Friday 27 Nov at 8:00 AM EST"
    # Fri 27 Nov 19:00 EST → Monday 30 Nov 08:00
    assert hours.next_open(datetime(2026, 11, 28, 0, 0, tzinfo=UTC)).day == 30


def test_tomorrow_wording(hours: OfficeHours) -> None:
    # Mon 23 Nov 19:00 EST → Tue 08:00
    assert hours.describe_next_open(datetime(2026, 11, 24, 0, 0, tzinfo=UTC)) == "tomorrow at 8:00 AM EST"


def test_always_open_desk() -> None:
    full = {"beginning_of_workday": "12:00 am", "end_of_workday": "11:59 pm"}
    desk = OfficeHours.from_freshservice({"name": "24x7", "time_zone": "UTC", "service_desk_hours": {
        d: full for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}})
    assert desk.always_open
    assert desk.describe_next_open(datetime(2026, 11, 29, 3, 0, tzinfo=UTC)) == "now"


def test_unknown_zone_falls_back_to_utc() -> None:
    assert str(zone("Atlantis")) == "UTC"
    assert str(zone("Europe/Zagreb")) == "Europe/Zagreb"


def test_the_week_in_one_line_joins_days_with_the_same_hours(hours: OfficeHours) -> None:
    assert hours.describe_week() == "Monday to Friday 08:00–18:00 (Eastern Time (US & Canada))"
    london = OfficeHours.from_freshservice({**OFFICE, "time_zone": "London"})
    assert london.describe_week() == "Monday to Friday 08:00–18:00 (London time)"
    assert OfficeHours(time_zone="UTC", days={}, always_open=True).describe_week() == "24/7"
