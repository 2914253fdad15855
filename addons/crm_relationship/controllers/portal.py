from werkzeug.exceptions import NotFound

from odoo import _, http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

TICKETS_PER_PAGE = 20


class ServiceTicketPortal(CustomerPortal):
    """/my/tickets: a customer's tickets, their detail and new requests.

    Access is the ORM's: the portal record rule limits a customer to the
    tickets of its commercial entity.
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "service_ticket_count" in counters:
            Ticket = request.env["crm.service.ticket"]
            values["service_ticket_count"] = (
                Ticket.search_count([]) if Ticket.has_access("read") else 0
            )
        return values

    def _ticket_searchbar_sortings(self):
        return {
            "date": {"label": _("Newest"), "order": "opened_at desc, id desc"},
            "stage": {"label": _("Stage"), "order": "stage_id, opened_at desc"},
            "number": {"label": _("Number"), "order": "number desc"},
        }

    def _ticket_searchbar_filters(self):
        return {
            "all": {"label": _("All"), "domain": []},
            "open": {"label": _("Open"), "domain": [("is_closed", "=", False)]},
            "closed": {"label": _("Closed"), "domain": [("is_closed", "=", True)]},
        }

    @http.route(
        ["/my/tickets", "/my/tickets/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_tickets(self, page=1, sortby=None, filterby=None, **kw):
        Ticket = request.env["crm.service.ticket"]
        sortings = self._ticket_searchbar_sortings()
        filters = self._ticket_searchbar_filters()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        domain = filters[filterby]["domain"]
        count = Ticket.search_count(domain)
        pager = portal_pager(
            url="/my/tickets",
            url_args={"sortby": sortby, "filterby": filterby},
            total=count,
            page=page,
            step=TICKETS_PER_PAGE,
        )
        tickets = Ticket.search(
            domain,
            order=sortings[sortby]["order"],
            limit=TICKETS_PER_PAGE,
            offset=pager["offset"],
        )
        request.session["my_tickets_history"] = tickets.ids[:100]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "tickets": tickets,
                "page_name": "service_ticket",
                "pager": pager,
                "default_url": "/my/tickets",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return request.render("crm_relationship.portal_my_tickets", values)

    @http.route(
        ["/my/tickets/<int:ticket_id>"], type="http", auth="public", website=True
    )
    def portal_my_ticket(self, ticket_id, access_token=None, **kw):
        try:
            ticket = self._document_check_access(
                "crm.service.ticket", ticket_id, access_token
            )
        except (AccessError, MissingError) as error:
            if request.env.user._is_public():
                # a link from an email opened before signing in
                return request.redirect_query(
                    "/web/login", {"redirect": f"/my/tickets/{ticket_id}"}
                )
            # another customer's request answers as no request at all: its
            # number tells nothing
            raise NotFound() from error
        values = self._get_page_view_values(
            ticket,
            access_token,
            {"ticket": ticket, "page_name": "service_ticket"},
            "my_tickets_history",
            False,
            **kw,
        )
        return request.render("crm_relationship.portal_ticket_page", values)

    @http.route(
        ["/my/tickets/new"],
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
    )
    def portal_new_ticket(self, **post):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "service_ticket_new",
                "ticket_types": request.env["crm.service.ticket.type"].search([]),
                "customer_assets": self._portal_ticket_assets(),
                "error": {},
                "post": post,
            }
        )
        if request.httprequest.method == "POST":
            title = (post.get("name") or "").strip()
            if not title:
                values["error"]["name"] = _("Please give your request a title.")
                return request.render("crm_relationship.portal_ticket_new", values)
            ticket = self._create_portal_ticket(title, post)
            return request.redirect(ticket.get_portal_url())
        return request.render("crm_relationship.portal_ticket_new", values)

    def _portal_ticket_assets(self):
        """The assets a request can name: the customer's own, in service."""
        partner = request.env.user.partner_id.commercial_partner_id
        return (
            request.env["crm.customer.asset"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "=", partner.id),
                    ("state", "=", "active"),
                ],
                order="name, id",
            )
        )

    def _create_portal_ticket(self, title, post):
        user = request.env.user
        asset_id = post.get("asset_id")
        # a number that is not one of the customer's assets names none
        asset = (
            self._portal_ticket_assets().filtered(lambda a: a.id == int(asset_id))
            if str(asset_id or "").isdigit()
            else request.env["crm.customer.asset"]
        )
        ticket_type = (
            request.env["crm.service.ticket.type"]
            .browse(
                int(post["ticket_type_id"])
                if str(post.get("ticket_type_id", "")).isdigit()
                else 0
            )
            .exists()
        )
        # the asset's company handles a request about it
        company = asset.company_id or user.company_id
        # the first team of the company takes requests from the portal: its
        # policies, calendar and leader apply
        team = (
            request.env["crm.service.team"]
            .sudo()
            .search([("company_id", "=", company.id)], limit=1)
        )
        ticket = (
            request.env["crm.service.ticket"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "team_id": team.id,
                    "name": title,
                    "description": post.get("description") or False,
                    "partner_id": user.partner_id.id,
                    "contact_id": user.partner_id.id
                    if user.partner_id.parent_id
                    else False,
                    "ticket_type_id": ticket_type.id,
                    "company_id": company.id,
                    "asset_id": asset.id,
                }
            )
        )
        ticket.message_subscribe(partner_ids=user.partner_id.ids)
        return ticket.with_env(request.env)
