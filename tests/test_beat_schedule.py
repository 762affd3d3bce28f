"""The beat schedule lives in code (SPEC §5): the deadline check daily at 06:00 Europe/Paris, the hour-based
rules hourly, the heartbeat every minute; every entry names a task the worker knows."""

import datetime
import zoneinfo

from celery.schedules import crontab

from config.celery import app

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _schedule():
    app.loader.import_default_modules()
    return app.conf.beat_schedule


def test_every_beat_entry_names_a_registered_task():
    schedule = _schedule()
    assert schedule
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, name


def test_the_beat_runs_in_paris_time():
    assert str(app.conf.timezone) == "Europe/Paris"


def test_the_deadline_check_runs_daily_at_six_in_paris_and_the_hour_based_rules_hourly():
    schedule = _schedule()
    daily, hourly = schedule["check-deadlines"], schedule["check-hourly-deadlines"]
    assert daily["task"] == hourly["task"] == "accompaniment.check_deadlines"
    assert isinstance(daily["schedule"], crontab) and daily["schedule"].hour == {6} and daily["schedule"].minute == {0}
    assert hourly["schedule"].hour == set(range(24)) and len(hourly["schedule"].minute) == 1
    assert hourly.get("kwargs") == {"hourly": True} and not daily.get("kwargs")
    # Across the change to summer time (29 March 2026), the daily run stays at 06:00 on the Paris clock.
    now = datetime.datetime(2026, 3, 28, 12, 0, tzinfo=PARIS)
    schedule = crontab(hour=6, minute=0, app=app, nowfun=lambda: now)
    wait = schedule.remaining_estimate(datetime.datetime(2026, 3, 28, 6, 0, tzinfo=PARIS))
    assert wait == datetime.timedelta(hours=17)  # elapsed time: an hour shorter than the usual 18
    next_run = (now.astimezone(datetime.UTC) + wait).astimezone(PARIS)
    assert next_run.replace(tzinfo=None) == datetime.datetime(2026, 3, 29, 6, 0)


def test_the_heartbeat_beats_every_minute():
    entry = _schedule()["heartbeat"]
    assert entry["task"] == "config.heartbeat" and entry["schedule"] == 60.0
