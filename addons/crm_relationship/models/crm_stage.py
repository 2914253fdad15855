from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CrmStage(models.Model):
    _inherit = "crm.stage"

    max_days = fields.Integer(
        "Maximum Days",
        help="An opportunity in this stage longer than this is a stale deal: "
        "its salesperson gets an activity. 0 never makes it stale.",
    )

    @api.constrains("max_days")
    def _check_max_days(self):
        for stage in self:
            if stage.max_days < 0:
                raise ValidationError(
                    _(
                        "Stage %(stage)s: the maximum days cannot be negative.",
                        stage=stage.name,
                    )
                )
