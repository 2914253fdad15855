from odoo import Command, _, fields, models
from odoo.exceptions import AccessError, UserError


class CrmSyncUserWizard(models.TransientModel):
    """Creates the sync service's integration user and its API key in one
    step: a user of the Sync group only, not an internal user, so the key
    reaches the sync methods and nothing else."""

    _name = "crm.sync.user.wizard"
    _description = "Create the Sync Integration User"

    name = fields.Char(required=True, default="crm-sync")
    login = fields.Char(required=True, default="crm-sync")
    key_name = fields.Char(required=True, default="crm-sync nightly")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        help="The company whose invoices the sync service pulls and whose "
        "customers it pushes: the integration user works in it only.",
    )
    user_id = fields.Many2one("res.users", readonly=True)
    api_key = fields.Char("API Key", readonly=True)

    def action_create(self):
        self.ensure_one()
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only administrators create integration users."))
        Users = self.env["res.users"].sudo().with_context(active_test=False)
        user = Users.search([("login", "=", self.login)], limit=1)
        group = self.env.ref("crm_relationship.group_sync")
        if user and user.groups_id != group:
            raise UserError(
                _(
                    "The login %(login)s belongs to a user with other rights: "
                    "choose another login for the integration user.",
                    login=self.login,
                )
            )
        company = {
            "company_id": self.company_id.id,
            "company_ids": [Command.set(self.company_id.ids)],
        }
        if not user:
            user = Users.create(
                {
                    "name": self.name,
                    "login": self.login,
                    "groups_id": [Command.set(group.ids)],
                    **company,
                }
            )
        user.write({"active": True, **company})
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate("rpc", self.key_name, None)
        )
        self.write({"user_id": user.id, "api_key": key})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Integration User Created"),
        }
