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
        if not user:
            user = Users.create(
                {
                    "name": self.name,
                    "login": self.login,
                    "groups_id": [Command.set(group.ids)],
                }
            )
        user.active = True
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
