"""Working time of a calendar as a sorted list of UTC intervals.

The SLA clock measures time in working hours. ``resource.calendar`` gives the
working intervals (attendances minus the leaves and public holidays of one
company); this class answers the two questions an SLA asks of them, for many
tickets at once without going back to the database:

- how many working hours lie between two moments;
- which moment lies a number of working hours after another one.

All datetimes are naive UTC, as Odoo stores them.
"""

from bisect import bisect_left, bisect_right
from datetime import timedelta

import pytz


class WorkingTime:
    def __init__(self, intervals, start, end):
        """intervals: (start, stop) pairs of naive UTC datetimes, known to be
        all the working time between ``start`` and ``end``."""
        self.start = start
        self.end = end
        merged = []
        for begin, stop in sorted(intervals):
            begin, stop = max(begin, start), min(stop, end)
            if stop <= begin:
                continue
            if merged and begin <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], stop)
            else:
                merged.append([begin, stop])
        self.starts = [begin for begin, _stop in merged]
        self.stops = [stop for _begin, stop in merged]
        self.before = []  # working hours before each interval
        total = 0.0
        for begin, stop in merged:
            self.before.append(total)
            total += (stop - begin).total_seconds() / 3600
        self.total = total

    @classmethod
    def from_calendar(cls, calendar, start, end, company):
        """The working time of ``calendar`` between two naive UTC datetimes,
        without the calendar's leaves and public holidays that belong to
        ``company`` or to no company: another company's holidays are not this
        one's, as for Odoo's own resources. Read as superuser, so the hours are
        the same whichever companies the reader has switched on."""
        start_utc = pytz.utc.localize(start)
        end_utc = pytz.utc.localize(end)
        leaves = [
            ("time_type", "=", "leave"),
            ("company_id", "in", [False, *company.ids]),
        ]
        intervals = calendar.sudo()._work_intervals_batch(
            start_utc, end_utc, domain=leaves, compute_leaves=True
        )[False]
        return cls(
            [
                (
                    begin.astimezone(pytz.utc).replace(tzinfo=None),
                    stop.astimezone(pytz.utc).replace(tzinfo=None),
                )
                for begin, stop, _meta in intervals
            ],
            start,
            end,
        )

    def covers(self, moment):
        return self.start <= moment <= self.end

    def hours_until(self, moment):
        """Working hours between ``self.start`` and ``moment``."""
        index = bisect_right(self.starts, moment) - 1
        if index < 0:
            return 0.0
        inside = min(moment, self.stops[index]) - self.starts[index]
        return self.before[index] + inside.total_seconds() / 3600

    def hours_between(self, begin, stop):
        if stop <= begin:
            return 0.0
        return self.hours_until(stop) - self.hours_until(begin)

    def add_hours(self, moment, hours):
        """The moment ``hours`` working hours after ``moment``, or None when it
        lies beyond ``self.end``. With 0 hours: the next working moment."""
        goal = self.hours_until(moment) + hours
        # the first interval whose end reaches the goal: a deadline falling
        # on the end of a working day stays on that day
        index = max(bisect_left(self.before, goal) - 1, 0)
        while index < len(self.starts):
            available = (self.stops[index] - self.starts[index]).total_seconds() / 3600
            if self.before[index] + available >= goal and (
                hours > 0 or self.stops[index] > moment
            ):
                offset = timedelta(hours=goal - self.before[index])
                found = max(self.starts[index] + offset, moment)
                return _round_to_second(found)
            index += 1
        return None


def _round_to_second(moment):
    return (moment + timedelta(microseconds=500000)).replace(microsecond=0)


class WorkingTimes:
    """A ``WorkingTime`` per (calendar id, company id), read once for all the
    rows of a batch and widened when a row needs more: one calendar query per
    key and per range beyond what is known."""

    def __init__(self, env):
        self.env = env
        self.known = {}

    def cover(self, key, start, end):
        """The working time of ``key`` covering ``start`` to ``end`` at least."""
        known = self.known.get(key)
        if known and known.start <= start and end <= known.end:
            return known
        if known:
            start, end = min(start, known.start), max(end, known.end)
        calendar_id, company_id = key
        known = WorkingTime.from_calendar(
            self.env["resource.calendar"].browse(calendar_id),
            start,
            max(start, end),
            self.env["res.company"].browse(company_id),
        )
        self.known[key] = known
        return known

    def cover_all(self, spans):
        """Cover each key from the earliest start to the latest end of
        ``spans``, ``(key, start, end)`` triples; keys without a calendar are
        left out."""
        wanted = {}
        for key, start, end in spans:
            if key[0]:
                earliest, latest = wanted.get(key, (start, end))
                wanted[key] = (min(earliest, start), max(latest, end))
        for key, (start, end) in wanted.items():
            self.cover(key, start, end)
