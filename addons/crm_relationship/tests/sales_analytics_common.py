from datetime import datetime

from freezegun import freeze_time

from odoo.tests import TransactionCase, new_test_user


class SalesAnalyticsCase(TransactionCase):
    """A pipeline of its own (New → Qualified → Proposal → Won), two
    salespeople in one team and a lost reason."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.salesman = new_test_user(
            cls.env,
            login="sa_salesman",
            name="Noa Seller",
            groups="sales_team.group_sale_salesman",
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="sa_other",
            name="Avi Seller",
            groups="sales_team.group_sale_salesman",
        )
        cls.team = cls.env["crm.team"].create({"name": "Analytics Team"})
        Stage = cls.env["crm.stage"]
        cls.stage_new = Stage.create(
            {"name": "SA New", "sequence": 101, "team_id": cls.team.id}
        )
        cls.stage_qualified = Stage.create(
            {"name": "SA Qualified", "sequence": 102, "team_id": cls.team.id}
        )
        cls.stage_proposal = Stage.create(
            {"name": "SA Proposal", "sequence": 103, "team_id": cls.team.id}
        )
        cls.stage_won = Stage.create(
            {
                "name": "SA Won",
                "sequence": 104,
                "team_id": cls.team.id,
                "is_won": True,
            }
        )
        cls.stages = (
            cls.stage_new + cls.stage_qualified + cls.stage_proposal + cls.stage_won
        )
        cls.reason_price = cls.env["crm.lost.reason"].create({"name": "SA Price"})
        cls.customer = cls.env["res.partner"].create(
            {"name": "SA Customer", "is_company": True}
        )

    @classmethod
    def _opportunity(cls, name, at, user=None, **values):
        with freeze_time(at):
            lead = cls.env["crm.lead"].create(
                {
                    "name": name,
                    "type": "opportunity",
                    "team_id": cls.team.id,
                    "user_id": (user or cls.salesman).id,
                    "stage_id": cls.stage_new.id,
                    **values,
                }
            )
            cls._flush_tracking(cls.env)
        # the ORM dates creation at the test transaction's start
        cls.env.cr.execute(
            "UPDATE crm_lead SET create_date = %s WHERE id = %s", [at, lead.id]
        )
        lead.invalidate_recordset(["create_date"])
        return lead

    @staticmethod
    def _flush_tracking(env):
        """Write the tracking values now, at the frozen date (as a commit)."""
        env.flush_all()
        env.cr.precommit.run()

    @staticmethod
    def _at(text):
        return datetime.fromisoformat(text)

    @staticmethod
    def _move(leads, stage, at):
        with freeze_time(at):
            leads.write({"stage_id": stage.id})
            SalesAnalyticsCase._flush_tracking(leads.env)

    def _lose(self, leads, at, reason=None, feedback=False):
        with freeze_time(at):
            self.env["crm.lead.lost"].create(
                {
                    "lead_ids": [(6, 0, leads.ids)],
                    "lost_reason_id": (reason or self.reason_price).id,
                    "lost_feedback": feedback,
                }
            ).action_lost_reason_apply()
            self._flush_tracking(self.env)

    @staticmethod
    def _win(leads, at):
        with freeze_time(at):
            leads.action_set_won()
            SalesAnalyticsCase._flush_tracking(leads.env)
