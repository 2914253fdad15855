import random
from datetime import timedelta

from odoo import api, fields, models

DEMO_SEED = 14


class CrmLead(models.Model):
    _inherit = "crm.lead"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_sales_year(self, count=120):
        """A year of demo opportunities with their stage history.

        Seeded, so every demo database tells the same story relative to its
        installation day: forward moves, some backwards, about a fifth lost
        with a reason, wins invoiced a fortnight later, three campaigns with
        a cost, a few deals stalled long enough to be stale. Written in a few
        batches, history rows in one INSERT.
        """
        rng = random.Random(DEMO_SEED)
        ref = self.env.ref
        stages = [ref(f"crm.stage_lead{index}") for index in (1, 2, 3, 4)]
        stages[1].max_days = 14
        stages[2].max_days = 21
        reasons = [ref(f"crm.lost_reason_{index}") for index in (1, 2, 3)]
        partners = [
            ref(f"crm_relationship.partner_{name}")
            for name in (
                "electra",
                "galil_medical",
                "negev_solar",
                "northwind",
                "rheinwerk",
                "thames_clinics",
            )
        ]
        users = [ref("base.user_admin"), ref("base.user_demo")]
        products = [
            ref(f"crm_relationship.product_{name}")
            for name in (
                "air_conditioner",
                "water_purifier",
                "solar_inverter",
                "maintenance_plan",
            )
        ]
        Campaign = self.env["utm.campaign"]
        campaigns = [
            Campaign.create({"title": "Spring Expo Tel Aviv", "cost": 18000}),
            Campaign.create({"title": "Solar Newsletter", "cost": 2500}),
            Campaign.create({"title": "Clinics Webinar", "cost": 6000}),
        ]
        sources = [
            ref("utm.utm_source_search_engine"),
            ref("utm.utm_source_newsletter"),
            ref("utm.utm_source_linkedin"),
        ]
        mediums = [
            ref("utm.utm_medium_website"),
            ref("utm.utm_medium_email"),
            ref("utm.utm_medium_direct"),
        ]
        now = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)
        start = now - timedelta(days=365)
        plans, vals_list = [], []
        for index in range(count):
            created = start + timedelta(
                days=rng.randint(0, 350), hours=rng.randint(8, 17)
            )
            path, at, position = [(0, created, "create")], created, 0
            while True:
                at += timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 8))
                if at >= now:
                    break
                roll = rng.random()
                if roll > 0.94:
                    break  # stalled: still open, soon a stale deal
                if roll < 0.18:
                    path.append((position, at, "lost"))
                    break
                if roll < 0.28 and position > 0:
                    position -= 1
                    path.append((position, at, "stage"))
                    continue
                position += 1
                path.append((position, at, "won" if position == 3 else "stage"))
                if position == 3:
                    break
            plans.append(path)
            campaign_index = rng.randrange(4)
            lines = [
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "quantity": rng.randint(1, 5),
                        "price_unit": rng.choice((900, 2400, 4800, 12000)),
                    },
                )
                for product in rng.sample(products, rng.randint(1, 2))
            ]
            partner = rng.choice(partners)
            vals_list.append(
                {
                    "name": f"{partner.name}: {lines[0][2]['quantity']} units "
                    f"({index + 1})",
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "user_id": rng.choice(users).id,
                    "team_id": ref("sales_team.team_sales_department").id,
                    "stage_id": stages[path[-1][0]].id,
                    "revenue_from_lines": True,
                    "line_ids": lines,
                    "campaign_id": campaigns[campaign_index].id
                    if campaign_index < 3
                    else False,
                    "source_id": sources[campaign_index].id
                    if campaign_index < 3
                    else False,
                    "medium_id": mediums[campaign_index].id
                    if campaign_index < 3
                    else False,
                }
            )
        leads = self.with_context(mail_create_nolog=True, tracking_disable=True).create(
            vals_list
        )
        self._demo_write_history(leads, plans, stages, reasons, rng)
        self._demo_invoice_wins(leads, plans, now)
        return leads

    def _demo_write_history(self, leads, plans, stages, reasons, rng):
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(
            "DELETE FROM crm_lead_stage_history WHERE lead_id = ANY(%s)", [leads.ids]
        )
        rows = {"lead": [], "kind": [], "from": [], "to": [], "at": []}
        for lead, path in zip(leads, plans, strict=True):
            previous = None
            for position, at, kind in path:
                rows["lead"].append(lead.id)
                rows["kind"].append(kind)
                rows["from"].append(
                    stages[previous].id if previous is not None else None
                )
                rows["to"].append(stages[position].id)
                rows["at"].append(at)
                previous = position
            last_position, last_at, last_kind = path[-1]
            values = {
                "created": path[0][1],
                "last": max(at for __, at, kind in path if kind != "lost"),
                "closed": last_at if last_kind in ("won", "lost") else None,
                "active": last_kind != "lost",
                "probability": {"won": 100, "lost": 0}.get(
                    last_kind, 10 + 30 * last_position
                ),
                "reason": rng.choice(reasons).id if last_kind == "lost" else None,
                "id": lead.id,
            }
            cr.execute(
                """
                UPDATE crm_lead
                   SET create_date = %(created)s, date_open = %(created)s,
                       date_conversion = %(created)s,
                       date_last_stage_update = %(last)s, date_closed = %(closed)s,
                       active = %(active)s, probability = %(probability)s,
                       automated_probability = %(probability)s,
                       lost_reason_id = %(reason)s
                 WHERE id = %(id)s
                """,
                values,
            )
        cr.execute(
            """
            INSERT INTO crm_lead_stage_history (
                lead_id, kind, stage_from_id, stage_id, entered_at, user_id,
                team_id, company_id, expected_revenue, probability, is_backwards,
                create_uid, create_date, write_uid, write_date)
            SELECT r.lead_id, r.kind, r.stage_from_id, r.stage_id, r.entered_at,
                   l.user_id, l.team_id, l.company_id, l.expected_revenue,
                   CASE WHEN r.kind = 'lost' THEN 0
                        WHEN r.kind = 'won' THEN 100
                        ELSE 10 + 30 * (st.sequence > 1)::int END,
                   r.kind = 'stage' AND sf.sequence > st.sequence,
                   %(uid)s, r.entered_at, %(uid)s, r.entered_at
              FROM unnest(%(lead)s::int[], %(kind)s::varchar[], %(from)s::int[],
                          %(to)s::int[], %(at)s::timestamp[])
                   AS r(lead_id, kind, stage_from_id, stage_id, entered_at)
              JOIN crm_lead l ON l.id = r.lead_id
              JOIN crm_stage st ON st.id = r.stage_id
              LEFT JOIN crm_stage sf ON sf.id = r.stage_from_id;

            UPDATE crm_lead_stage_history h
               SET left_at = n.next_at,
                   duration_hours = EXTRACT(EPOCH FROM n.next_at - h.entered_at)
                       / 3600.0
              FROM (SELECT id, LEAD(entered_at) OVER (
                               PARTITION BY lead_id ORDER BY entered_at, id)
                               AS next_at
                      FROM crm_lead_stage_history
                     WHERE lead_id = ANY(%(leads)s)) n
             WHERE n.id = h.id AND n.next_at IS NOT NULL
            """,
            {**rows, "uid": self.env.uid, "leads": leads.ids},
        )
        self.env["crm.lead.stage.month"]._fill(leads.ids)
        self.env.invalidate_all()

    def _demo_invoice_wins(self, leads, plans, now):
        """Won customers are invoiced their lines two weeks after the win,
        but for service plans: the demo customers' plans have terms of their
        own, which an invoiced plan line would extend once a win."""
        vals_list = []
        for lead, path in zip(leads, plans, strict=True):
            __, won_at, kind = path[-1]
            invoice_date = (won_at + timedelta(days=14)).date()
            lines = lead.line_ids.filtered(lambda x: not x.product_id.is_service_plan)
            if kind != "won" or invoice_date > now.date() or not lines:
                continue
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": lead.partner_id.id,
                    "invoice_date": invoice_date,
                    "invoice_user_id": lead.user_id.id,
                    "invoice_line_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": line.product_id.id,
                                "quantity": line.quantity,
                                "price_unit": line.price_unit,
                                "tax_ids": [],
                            },
                        )
                        for line in lines
                    ],
                }
            )
        if vals_list:
            self.env["account.move"].create(vals_list).action_post()
