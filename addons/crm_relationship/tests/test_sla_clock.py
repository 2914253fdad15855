"""SLA deadlines in working hours, against hand-computed datetimes.

The Sunday–Thursday calendar works 08:30–17:30 Asia/Jerusalem (9 hours a day),
the Monday–Friday one 09:00–17:00 Europe/London.
"""

from contextlib import contextmanager
from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged

from ..models.crm_service_ticket_sla import pg_array
from .common import ServiceTicketCase, local


@tagged("post_install", "-at_install")
class TestSlaClock(ServiceTicketCase):
    @contextmanager
    def _replan_inline_rows(self, rows):
        """Calendar changes above ``rows`` targets go to the replanning cron
        (the system parameter an administrator sets)."""
        param = self.env["ir.config_parameter"].sudo()
        param.set_param("crm_relationship.sla_replan_inline_rows", rows)
        try:
            yield
        finally:
            param.set_param("crm_relationship.sla_replan_inline_rows", False)

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

    def test_warning_stored_as_written(self):
        """The engine inserts and updates rows from text arrays: quotes,
        backslashes, commas, braces and the word NULL in a calendar's name
        reach the warning unchanged."""
        name = 'Closed "for good", {a,b} \\ NULL ש"ח'
        self.team.resource_calendar_id = self.env["resource.calendar"].create(
            {
                "name": name,
                "tz": "Asia/Jerusalem",
                "attendance_ids": [
                    Command.create(
                        {"name": "Mon", "dayofweek": "0", "hour_from": 9, "hour_to": 10}
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
        ticket = self._ticket(local("2026-11-19 16:00"))
        self.env.invalidate_all()
        for sla in ticket.sla_ids:
            self.assertIn(f"'{name}'", sla.warning)
        self.assertEqual(len(ticket.sla_warning.split("\n")), 2)
        # an update of the warning goes through the same arrays
        rows = next(ticket.sla_ids._engine_batches())
        rows[0].warning = name
        ticket.sla_ids._sql_update(("warning",), rows[:1])
        self.env.invalidate_all()
        self.assertEqual(ticket.sla_ids.browse(rows[0].id).warning, name)

    def test_arrays_of_every_column_type(self):
        """What the engine writes comes back as it was: numbers, moments to
        the microsecond, booleans and empty values."""
        moment = datetime(2026, 11, 19, 14, 0, 0, 250000)
        cases = [
            ("int4", [1, None, 2147483647]),
            ("float8", [0.1, 1e-05, 1 / 3, None, 24.0]),
            ("bool", [True, False, None]),
            ("timestamp", [moment, None, moment.replace(microsecond=0)]),
            ("VARCHAR", ["", "NULL", None, "a,b", '"', "\\", "{x}"]),
            ("text", ["NULL", " spaced ", None]),
            ("varchar", ["first_response", "", "resolution"]),
            ("varchar", []),
            ("int4", []),
            ("int4", [4, 5]),
            ("timestamp", [moment]),
        ]
        for kind, values in cases:
            with self.subTest(kind=kind, values=values):
                self.env.cr.execute(
                    f"SELECT unnest(%s::{kind}[])", [pg_array(values, kind)]
                )
                self.assertEqual([value for (value,) in self.env.cr.fetchall()], values)

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

    def test_working_hours_changed_move_the_deadline(self):
        ticket = self._ticket(local("2026-11-22 08:30"))
        response = self._sla(ticket, "first_response")
        self.assertEqual(response.deadline, local("2026-11-22 12:30"))
        sunday = self.sun_thu.attendance_ids.filtered(lambda a: a.dayofweek == "6")
        # Sundays start at 10:30 from now on, saved from the calendar's form
        self.sun_thu.attendance_ids = [Command.update(sunday.id, {"hour_from": 10.5})]
        self.assertEqual(response.deadline, local("2026-11-22 14:30"))
        self.assertEqual(ticket.sla_deadline, local("2026-11-22 14:30"))
        # a line removed: no working Sunday, 4 hours on Monday from 08:30
        sunday.unlink()
        self.assertEqual(response.deadline, local("2026-11-23 12:30"))
        self.assertEqual(ticket.sla_deadline, local("2026-11-23 12:30"))

    def test_many_rows_are_replanned_by_the_cron_with_its_progress(self):
        tickets = [
            self._ticket(local("2026-11-22 08:30"), name=f"T{i}") for i in range(3)
        ]
        Sla = self.env["crm.service.ticket.sla"]
        responses = Sla.concat(*(self._sla(t, "first_response") for t in tickets))
        cron = self.env.ref("crm_relationship.ir_cron_crm_service_ticket_sla_replan")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        with self._replan_inline_rows(2):
            self.env["resource.calendar.leaves"].create(
                {
                    "name": "Unplanned closure",
                    "calendar_id": self.sun_thu.id,
                    "date_from": local("2026-11-22 10:00"),
                    "date_to": local("2026-11-22 11:00"),
                }
            )
        # more running rows than replanned right away: queued, the cron is
        # called
        queued = self.env["crm.sla.replan"].search([])
        self.assertEqual(len(queued), 1)
        self.assertEqual(set(responses.mapped("deadline")), {local("2026-11-22 12:30")})
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers + 1,
        )
        # with the running rows of the demo tickets on this calendar
        running = Sla.search_count(
            [
                ("calendar_id", "=", self.sun_thu.id),
                ("clock_running", "=", True),
                ("reached_at", "=", False),
            ]
        )
        self.assertGreaterEqual(running, 6)
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": cron.id, "done": 0, "remaining": 0}
        )
        Sla.with_context(ir_cron_progress_id=progress.id)._cron_replan_deadlines(
            batch_size=4
        )
        self.assertEqual((progress.done, progress.remaining), (running, 0))
        self.assertFalse(queued.exists(), "done: out of the queue")
        self.assertEqual(set(responses.mapped("deadline")), {local("2026-11-22 13:30")})
        for ticket in tickets:
            self.assertEqual(ticket.sla_deadline, local("2026-11-22 13:30"))

    def test_cron_replans_as_a_direct_replan_would(self):
        """A replan handed over to the cron and finished in batches gives
        every running row the deadline the same change replanned right away
        gives it: after a holiday added and after a working hours line
        edited."""
        Sla = self.env["crm.service.ticket.sla"]
        openings = [
            "2026-11-19 16:00",  # Thursday afternoon, over the weekend
            "2026-11-20 11:00",  # Friday: from Sunday morning
            "2026-11-22 08:30",
            "2026-11-22 10:30",  # inside the holiday
            "2026-11-22 17:29",
            "2026-11-23 12:00",
        ]
        for index, opening in enumerate(openings):
            self._ticket(local(opening), name=f"T{index}")
        running = [
            ("calendar_id", "=", self.sun_thu.id),
            ("clock_running", "=", True),
            ("reached_at", "=", False),
        ]
        rows = Sla.search(running)
        self.assertGreaterEqual(len(rows), 2 * len(openings))
        sunday = self.sun_thu.attendance_ids.filtered(lambda a: a.dayofweek == "6")
        holiday = {
            "name": "Unplanned closure",
            "calendar_id": self.sun_thu.id,
            "date_from": local("2026-11-22 10:00"),
            "date_to": local("2026-11-23 11:00"),
        }
        Leaves = self.env["resource.calendar.leaves"]
        changes = {
            "holiday": (
                lambda: Leaves.create(holiday),
                lambda: Leaves.search([("name", "=", holiday["name"])]).unlink(),
            ),
            "working hours": (
                lambda: sunday.write({"hour_from": 10.5}),
                lambda: sunday.write({"hour_from": 8.5}),
            ),
        }
        cron = self.env.ref("crm_relationship.ir_cron_crm_service_ticket_sla_replan")
        for name, (change, undo) in changes.items():
            with self.subTest(change=name):
                before = {row.id: row.deadline for row in rows}
                change()
                direct = {row.id: row.deadline for row in rows}
                self.assertNotEqual(direct, before, "the change moves deadlines")
                self.assertFalse(self.env["crm.sla.replan"].search([]))
                undo()
                self.assertEqual({row.id: row.deadline for row in rows}, before)
                with self._replan_inline_rows(2):
                    change()
                self.assertEqual(len(self.env["crm.sla.replan"].search([])), 1)
                self.assertEqual(
                    {row.id: row.deadline for row in rows}, before, "not yet"
                )
                progress = self.env["ir.cron.progress"].create(
                    {"cron_id": cron.id, "done": 0, "remaining": 0}
                )
                Sla.with_context(
                    ir_cron_progress_id=progress.id
                )._cron_replan_deadlines(batch_size=3)
                self.assertEqual(
                    (progress.done, progress.remaining),
                    (Sla.search_count(running), 0),
                )
                self.assertEqual({row.id: row.deadline for row in rows}, direct)
                undo()

    def test_summaries_written_in_batch_are_the_computed_ones(self):
        """The engine writes the tickets' SLA summaries itself (in SQL, or
        in the cache for new tickets): the same values the ORM computes."""
        Sla = self.env["crm.service.ticket.sla"]
        express = self.env["crm.sla.policy"].create(
            {"name": "Express", "team_id": self.team.id, "first_response_hours": 1}
        )
        tickets = self._ticket(local("2026-11-19 16:00"), name="Breached")
        tickets |= self._ticket(local("2026-11-22 08:30"), name="At risk")
        tickets |= self._ticket(local("2026-11-22 08:30"), name="Paused")
        tickets |= self._ticket(local("2026-11-22 08:30"), name="Met")
        with freeze_time(local("2026-11-22 09:00")):
            tickets[2].stage_id = self.stage_waiting
            tickets[3].stage_id = self.stage_solved
        self._assert_summaries_as_computed(tickets)
        with freeze_time(local("2026-11-22 11:45")):
            Sla._cron_refresh()
            self._assert_summaries_as_computed(tickets)
            self.env["resource.calendar.leaves"].create(
                {
                    "name": "Closed",
                    "calendar_id": self.sun_thu.id,
                    "date_from": local("2026-11-22 12:00"),
                    "date_to": local("2026-11-23 12:00"),
                }
            )
            self._assert_summaries_as_computed(tickets)
            express.first_response_hours = 0.5
            self._assert_summaries_as_computed(tickets)
        self.assertEqual(tickets[0].sla_status, "breached")
        self.assertEqual(tickets[1].sla_status, "breached")
        # Express has no pause stage: its clock ran on
        self.assertEqual(tickets[2].sla_status, "breached")
        self.assertEqual(
            set(self._sla(tickets[2], "resolution").mapped("status")), {"paused"}
        )
        self.assertEqual(tickets[3].sla_status, "met")

    def _assert_summaries_as_computed(self, tickets):
        names = [
            "sla_deadline",
            "sla_status",
            "sla_breached",
            "sla_at_risk",
            "sla_warning",
        ]
        self.env.invalidate_all()
        stored = [tickets.browse(t.id).read(names)[0] for t in tickets]
        for name in names:
            self.env.add_to_compute(tickets._fields[name], tickets)
        computed = [
            {"id": ticket.id, **{name: ticket[name] for name in names}}
            for ticket in tickets
        ]
        self.assertEqual(stored, computed)


@tagged("post_install", "-at_install")
class TestSlaPauses(ServiceTicketCase):
    """An 18-hour resolution target: 2 hours worked on Sunday 15 November,
    then waiting for the customer over the holiday of Tuesday 17 November."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday inside the pause",
                "calendar_id": cls.sun_thu.id,
                "date_from": local("2026-11-17 00:00"),
                "date_to": local("2026-11-17 23:59"),
            }
        )

    def _paused_ticket(self, **values):
        ticket = self._ticket(local("2026-11-15 08:30"), **values)
        with freeze_time(local("2026-11-15 09:00")):
            ticket.with_user(self.agent).message_post(
                body="We are on it",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        with freeze_time(local("2026-11-15 10:30")):
            ticket.stage_id = self.stage_waiting
        return ticket

    def _breach_notices(self, ticket):
        return ticket.message_ids.filtered(lambda m: "SLA breached" in (m.body or ""))

    def test_closed_from_a_pause_is_met_on_the_hours_worked(self):
        ticket = self._paused_ticket()
        resolution = self._sla(ticket, "resolution")
        self.assertEqual(resolution.status, "paused")
        self.assertFalse(resolution.deadline, "no deadline while the clock stands")
        self.assertFalse(ticket.sla_deadline)
        with freeze_time(local("2026-11-18 10:30")):
            self.env["crm.service.ticket.sla"]._cron_refresh()
            self.assertEqual(resolution.status, "paused")
            ticket.stage_id = self.stage_solved
        self.assertAlmostEqual(resolution.clock_hours, 2.0, places=4)
        self.assertEqual(resolution.status, "met")
        self.assertEqual(resolution.success_rate, 100.0)
        self.assertEqual(ticket.sla_status, "met")
        self.assertAlmostEqual(ticket.resolution_hours, 2.0, places=4)
        self.assertFalse(self._breach_notices(ticket))
        self.assertFalse(
            self.env["mail.message"].search(
                [
                    ("partner_ids", "in", self.leader.partner_id.ids),
                    ("subject", "ilike", "SLA breached"),
                ]
            ),
            "no breach notice to the leader",
        )

    def test_resumed_clock_plans_from_what_is_left(self):
        on_time = self._paused_ticket()
        late = self._paused_ticket(name="Late")
        with freeze_time(local("2026-11-18 08:30")):
            (on_time | late).stage_id = self.stage_progress
        for ticket in on_time | late:
            resolution = self._sla(ticket, "resolution")
            self.assertEqual(resolution.status, "ongoing")
            # 16 hours left: Wednesday 08:30–17:30, then 7 hours on Thursday
            self.assertEqual(resolution.deadline, local("2026-11-19 15:30"))
            self.assertEqual(ticket.sla_deadline, local("2026-11-19 15:30"))
        with freeze_time(local("2026-11-19 15:30")):
            on_time.stage_id = self.stage_solved
        with freeze_time(local("2026-11-19 16:00")):
            late.stage_id = self.stage_solved
        self.assertEqual(self._sla(on_time, "resolution").status, "met")
        self.assertAlmostEqual(on_time.resolution_hours, 18.0, places=4)
        self.assertEqual(self._sla(late, "resolution").status, "breached")
        self.assertAlmostEqual(late.resolution_hours, 18.5, places=4)

    def test_target_lowered_and_raised(self):
        ticket = self._paused_ticket()
        resolution = self._sla(ticket, "resolution")
        # lowered below the 2 hours used while paused: breached since 10:00
        with freeze_time(local("2026-11-16 10:00")):
            self.policy.resolution_hours = 1.5
        self.assertEqual(resolution.status, "breached")
        self.assertEqual(resolution.deadline, local("2026-11-15 10:00"))
        self.assertEqual(len(self._breach_notices(ticket)), 1)
        with freeze_time(local("2026-11-16 10:10")):
            self.policy.resolution_hours = 18
        self.assertEqual(resolution.status, "paused")
        self.assertFalse(resolution.deadline)
        with freeze_time(local("2026-11-18 08:30")):
            ticket.stage_id = self.stage_progress
        self.assertEqual(resolution.deadline, local("2026-11-19 15:30"))
        # 2 + 4 hours used at 12:30: a 5-hour target went over at 11:30
        with freeze_time(local("2026-11-18 12:30")):
            self.policy.resolution_hours = 5
            self.assertEqual(resolution.status, "breached")
            self.assertFalse(resolution.at_risk)
            self.assertEqual(resolution.deadline, local("2026-11-18 11:30"))
            self.assertTrue(ticket.sla_breached)
            self.assertEqual(len(self._breach_notices(ticket)), 2)
        # 7 hours used at 13:30, 13 left: Wednesday until 17:30, Thursday
        with freeze_time(local("2026-11-18 13:30")):
            self.policy.resolution_hours = 20
            self.assertEqual(resolution.status, "ongoing")
            self.assertFalse(resolution.at_risk)
            self.assertEqual(resolution.deadline, local("2026-11-19 17:30"))
            self.assertEqual(ticket.sla_status, "ongoing")
        with freeze_time(local("2026-11-19 10:00")):
            ticket.stage_id = self.stage_solved
        self.assertEqual(resolution.status, "met")
        self.assertAlmostEqual(resolution.clock_hours, 12.5, places=4)


@tagged("post_install", "-at_install")
class TestSlaCompanies(ServiceTicketCase):
    """Two companies on the shared Sunday–Thursday calendar, each with its own
    public holiday (no calendar): company A closes on Monday 23 November,
    company B on Sunday 22 November."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.company_2
        Leaves = cls.env["resource.calendar.leaves"]
        Leaves.with_company(cls.company_a).create(
            {
                "name": "Holiday of A",
                "date_from": local("2026-11-23 00:00"),
                "date_to": local("2026-11-23 23:59"),
            }
        )
        Leaves.with_company(cls.company_b).create(
            {
                "name": "Holiday of B",
                "date_from": local("2026-11-22 00:00"),
                "date_to": local("2026-11-22 23:59"),
            }
        )
        cls.team_b = cls.env["crm.service.team"].create(
            {
                "name": "Support B",
                "company_id": cls.company_b.id,
                "resource_calendar_id": cls.sun_thu.id,
            }
        )
        cls.policy_b = cls.env["crm.sla.policy"].create(
            {
                "name": "Four hours B",
                "company_id": cls.company_b.id,
                "team_id": cls.team_b.id,
                "first_response_hours": 4,
            }
        )
        cls.two_companies_user = new_test_user(
            cls.env,
            login="rel_agent_ab",
            groups="crm_relationship.group_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )

    def test_each_company_counts_its_own_holidays(self):
        ticket_a = self._ticket(local("2026-11-19 16:00"))
        ticket_b = self._ticket(
            local("2026-11-19 16:00"),
            company_id=self.company_b.id,
            team_id=self.team_b.id,
            user_id=False,
        )
        response_a = self._sla(ticket_a, "first_response")
        response_b = self._sla(ticket_b, "first_response")
        # 1.5 hours on Thursday, 2.5 on A's Sunday, B's holiday
        self.assertEqual(response_a.deadline, local("2026-11-22 11:00"))
        # B works on Monday, A's holiday
        self.assertEqual(response_b.policy_id, self.policy_b)
        self.assertEqual(response_b.deadline, local("2026-11-23 11:00"))

    def test_consumed_hours_do_not_depend_on_the_active_companies(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        response = self._sla(ticket, "first_response")
        with freeze_time(local("2026-11-22 10:00")):
            for companies in (self.company_a, self.company_a | self.company_b):
                with self.subTest(companies=companies.mapped("name")):
                    row = response.with_user(self.two_companies_user).with_context(
                        allowed_company_ids=companies.ids
                    )
                    row.invalidate_recordset(["consumed_hours", "remaining_hours"])
                    self.assertAlmostEqual(row.consumed_hours, 3.0, places=4)
                    self.assertAlmostEqual(row.remaining_hours, 1.0, places=4)

    def test_employee_time_off_replans_nothing(self):
        ticket = self._ticket(local("2026-11-22 08:30"))
        response = self._sla(ticket, "first_response")
        employee = self.env["resource.resource"].create(
            {"name": "Rina", "calendar_id": self.sun_thu.id}
        )
        statements = []
        with contextmanager(self._patchExecute)(statements):
            leave = self.env["resource.calendar.leaves"].create(
                {
                    "name": "Rina's day off",
                    "resource_id": employee.id,
                    "calendar_id": self.sun_thu.id,
                    "date_from": local("2026-11-22 00:00"),
                    "date_to": local("2026-11-22 23:59"),
                }
            )
            leave.date_to = local("2026-11-23 23:59")
            leave.unlink()
        self.assertFalse(
            [text for text in map(str, statements) if "crm_service_ticket_sla" in text],
            "a person's time off neither reads nor moves any SLA row",
        )
        self.assertEqual(response.deadline, local("2026-11-22 12:30"))
