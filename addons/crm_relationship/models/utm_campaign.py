from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class UtmCampaign(models.Model):
    _inherit = "utm.campaign"

    cost_company_id = fields.Many2one(
        "res.company",
        "Cost Company",
        default=lambda self: self.env.company,
        help="The company that paid for the campaign, in whose currency its "
        "cost is kept.",
    )
    cost_currency_id = fields.Many2one(
        related="cost_company_id.currency_id", string="Cost Currency"
    )
    cost = fields.Monetary(
        "Campaign Cost",
        currency_field="cost_currency_id",
        help="What the campaign cost, for the return in the campaign yield report.",
    )

    @api.constrains("cost")
    def _check_cost(self):
        for campaign in self:
            if campaign.cost < 0:
                raise ValidationError(
                    _(
                        "Campaign %(campaign)s: the cost cannot be negative.",
                        campaign=campaign.title,
                    )
                )
