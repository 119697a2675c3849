"""Digest schedules: ``"mon 09:00"``, ``"mon,thu 09:00"``, ``"daily 18:30"``,
``"weekdays 09:00"`` or a five-field crontab (``"0 9 * * mon"``), in the digest's IANA zone.

APScheduler's ``CronTrigger`` computes wall-clock fire times across DST changes; which slot a
run belongs to (the *period*) is derived from those times, and publishing correctness comes
from the database claim on (digest, period), not from the scheduler.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_SIMPLE = re.compile(r"^\s*(?P<days>[a-z,\-]+)\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*$", re.I)
_DAY_WORDS = {"daily": "*", "everyday": "*", "weekdays": "mon-fri", "weekends": "sat,sun"}
LOOKBACK = timedelta(days=8)
_MAX_STEPS = 20_000


class ScheduleError(ValueError):
    """A schedule string we cannot read; the message shows the accepted forms."""


FORMS = (
    'write "mon 09:00", "mon,thu 09:00", "daily 18:30", "weekdays 08:00" '
    'or a crontab like "0 9 * * mon"'
)


def parse_schedule(schedule: str, timezone: str) -> CronTrigger:
    zone = ZoneInfo(timezone)
    simple = _SIMPLE.match(schedule)
    try:
        if simple:
            days = simple["days"].lower()
            hour, minute = int(simple["hour"]), int(simple["minute"])
            if hour > 23 or minute > 59:
                raise ValueError(f"{hour}:{minute:02d} is not a time of day")
            return CronTrigger(
                day_of_week=_DAY_WORDS.get(days, days), hour=hour, minute=minute, timezone=zone
            )
        if len(schedule.split()) != 5:
            raise ValueError("neither DAYS HH:MM nor a five-field crontab")
        return CronTrigger.from_crontab(schedule, timezone=zone)
    except ValueError as exc:
        raise ScheduleError(f"not a schedule ({exc}): {FORMS}") from exc


def _is_repeat(fire: datetime) -> bool:
    """The second occurrence of a wall-clock time that DST made happen twice."""
    return fire.fold == 1 and fire.replace(fold=0).utcoffset() != fire.utcoffset()


def next_slot(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The next scheduled time strictly after ``now``, once per wall-clock time.

    Searches from UTC instants (APScheduler 3.11 returns the same repeated fold=1 time forever
    when asked from a local time inside a DST fall-back hour) and skips the repeat.
    """
    start = now.astimezone(UTC) + timedelta(seconds=1)
    for _ in range(3):
        fire: datetime | None = trigger.get_next_fire_time(None, start)
        if fire is None or not _is_repeat(fire):
            return fire
        start = fire.astimezone(UTC) + timedelta(seconds=1)
    return None


def last_slot(
    trigger: CronTrigger, now: datetime, lookback: timedelta = LOOKBACK
) -> datetime | None:
    """The latest scheduled time at or before ``now`` (within ``lookback``)."""
    fire = next_slot(trigger, now - lookback)
    latest = None
    for _ in range(_MAX_STEPS):
        if fire is None or fire > now:
            break
        latest = fire
        fire = next_slot(trigger, fire)
    return latest


def period_key(slot: datetime, timezone: str) -> str:
    """A stable name for the period a slot closes, in the digest's local time."""
    return slot.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M%z")
