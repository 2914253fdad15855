"""SLA deadlines in working hours, against hand-computed datetimes.

The Sunday–Thursday calendar works 08:30–17:30 Asia/Jerusalem (9 hours a day),
the Monday–Friday one 09:00–17:00 Europe/London.
"""

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import ServiceTicketCase, local


@tagged("post_install", "-at_install")
class TestSlaClock(ServiceTicketCase):
    def test_thursday_afternoon_rolls_over_the_weekend(self):
        # 1.5 h on Thursday (16:00–17:30), 2.5 h on Sunday from 08:30
        ticket = self._ticket(local("2026-11-19 16:00"))
        response = self._sla(ticket, "first_response")
        self.assertEqual(response.deadline, local("2026-11-22 11:00"))
        self.assertEqual(response.calendar_id, self.sun_thu)
        self.assertEqual(ticket.sla_deadline, local("2026-11-22 11:00"))
        self.assertEqual(ticket.sla_status, "ongoing")

    def test_opened_on_friday_starts_on_sunday_morning(self):
        ticket = self._ticket(local("2026-11-20 10:00"))
        response = self._sla(ticket, "first_response")
        self.assertEqual(response.deadline, local("2026-11-22 12:30"))
        with freeze_time(local("2026-11-22 08:30")):
            response.invalidate_recordset(["consumed_hours"])
            self.assertAlmostEqual(response.consumed_hours, 0.0, places=4)
        with freeze_time(local("2026-11-22 09:30")):
            response.invalidate_recordset(["consumed_hours"])
            self.assertAlmostEqual(response.consumed_hours, 1.0, places=4)
            self.assertAlmostEqual(response.remaining_hours, 3.0, places=4)

    def test_public_holiday_is_skipped(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "calendar_id": self.sun_thu.id,
                "date_from": local("2026-11-22 00:00"),
                "date_to": local("2026-11-22 23:59"),
            }
        )
        ticket = self._ticket(local("2026-11-19 16:00"))
        self.assertEqual(
            self._sla(ticket, "first_response").deadline, local("2026-11-23 11:00")
        )

    def test_dst_week(self):
        # Israel moves to summer time on Friday 27 March 2026: Thursday is
        # UTC+2, Sunday UTC+3, and the deadline stays at 11:00 on the wall.
        ticket = self._ticket(local("2026-03-26 16:00"))
        deadline = self._sla(ticket, "first_response").deadline
        self.assertEqual(deadline, local("2026-03-29 11:00"))
        self.assertEqual(str(deadline), "2026-03-29 08:00:00")

    def test_pause_of_one_working_day_moves_the_deadline(self):
        ticket = self._ticket(local("2026-11-15 08:30"))
        resolution = self._sla(ticket, "resolution")
        self.assertEqual(resolution.deadline, local("2026-11-16 17:30"))
        with freeze_time(local("2026-11-16 08:30")):
            ticket.stage_id = self.stage_waiting
        self.assertEqual(resolution.status, "paused")
        self.assertAlmostEqual(resolution.clock_hours, 9.0, places=4)
        with freeze_time(local("2026-11-17 08:30")):
            ticket.stage_id = self.stage_progress
        self.assertEqual(resolution.status, "ongoing")
        self.assertEqual(resolution.deadline, local("2026-11-17 17:30"))

    def test_time_in_a_pause_does_not_breach(self):
        ticket = self._ticket(local("2026-11-15 08:30"))
        response = self._sla(ticket, "first_response")
        with freeze_time(local("2026-11-15 10:30")):
            ticket.stage_id = self.stage_waiting
        with freeze_time(local("2026-11-19 17:00")):
            self.env["crm.service.ticket.sla"]._cron_refresh()
        self.assertEqual(response.status, "paused")
        self.assertAlmostEqual(response.clock_hours, 2.0, places=4)

    def test_reopen_keeps_the_time_already_consumed(self):
        ticket = self._ticket(local("2026-11-15 08:30"))
        resolution = self._sla(ticket, "resolution")
        with freeze_time(local("2026-11-15 12:30")):
            ticket.stage_id = self.stage_solved
        self.assertEqual(resolution.status, "met")
        self.assertEqual(resolution.reached_at, local("2026-11-15 12:30"))
        self.assertEqual(ticket.closed_at, local("2026-11-15 12:30"))
        self.assertAlmostEqual(ticket.resolution_hours, 4.0, places=4)
        with freeze_time(local("2026-11-16 08:30")):
            ticket.stage_id = self.stage_progress
        self.assertFalse(ticket.closed_at)
        self.assertFalse(resolution.reached_at)
        self.assertEqual(resolution.status, "ongoing")
        # 14 hours left: Monday 08:30–17:30, then 5 hours on Tuesday
        self.assertEqual(resolution.deadline, local("2026-11-17 13:30"))

    def test_monday_to_friday_calendar(self):
        policy = self.env["crm.sla.policy"].create(
            {
                "name": "London",
                "team_id": self.team.id,
                "resource_calendar_id": self.mon_fri.id,
                "first_response_hours": 2,
            }
        )
        ticket = self._ticket(local("2026-11-20 16:00", "Europe/London"))
        response = ticket.sla_ids.filtered(lambda s: s.policy_id == policy)
        self.assertEqual(response.calendar_id, self.mon_fri)
        self.assertEqual(response.deadline, local("2026-11-23 10:00", "Europe/London"))

    def test_calendar_without_working_time_warns(self):
        closed = self.env["resource.calendar"].create(
            {
                "name": "Closed for good",
                "tz": "Asia/Jerusalem",
                "attendance_ids": [
                    Command.create(
                        {
                            "name": "Monday",
                            "dayofweek": "0",
                            "hour_from": 9,
                            "hour_to": 10,
                        }
                    )
                ],
                "leave_ids": [
                    Command.create(
                        {
                            "name": "Closed",
                            "date_from": local("2020-01-01 00:00"),
                            "date_to": local("2099-12-31 00:00"),
                        }
                    )
                ],
            }
        )
        self.team.resource_calendar_id = closed
        ticket = self._ticket(local("2026-11-19 16:00"))
        response = self._sla(ticket, "first_response")
        self.assertFalse(response.deadline)
        self.assertIn("Closed for good", response.warning)
        self.assertIn("Closed for good", ticket.sla_warning)
        self.assertEqual(ticket.sla_status, "ongoing")
        with freeze_time(local("2026-11-26 10:00")):
            self.env["crm.service.ticket.sla"]._cron_refresh()
        self.assertEqual(response.status, "ongoing")

    def test_importing_an_old_closed_ticket(self):
        ticket = self._ticket(
            local("2026-11-15 08:30"),
            stage_id=self.stage_solved.id,
            closed_at=local("2026-11-16 12:30"),
        )
        resolution = self._sla(ticket, "resolution")
        self.assertEqual(resolution.reached_at, local("2026-11-16 12:30"))
        self.assertAlmostEqual(resolution.clock_hours, 13.0, places=4)
        self.assertEqual(resolution.status, "met")
        # never answered before its closing, 4 hours after the opening
        self.assertEqual(self._sla(ticket, "first_response").status, "breached")

    def test_holiday_added_later_moves_the_deadline(self):
        ticket = self._ticket(local("2026-11-22 08:30"))
        response = self._sla(ticket, "first_response")
        self.assertEqual(response.deadline, local("2026-11-22 12:30"))
        holiday = self.env["resource.calendar.leaves"].create(
            {
                "name": "Unplanned closure",
                "calendar_id": self.sun_thu.id,
                "date_from": local("2026-11-22 10:00"),
                "date_to": local("2026-11-22 11:00"),
            }
        )
        self.assertEqual(response.deadline, local("2026-11-22 13:30"))
        holiday.unlink()
        self.assertEqual(response.deadline, local("2026-11-22 12:30"))
