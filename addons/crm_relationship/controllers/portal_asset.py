from werkzeug.exceptions import NotFound

from odoo import _, http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

ASSETS_PER_PAGE = 20


class CustomerAssetPortal(CustomerPortal):
    """/my/assets: the installed base of the customer's commercial entity,
    with the coverage of each asset.

    Portal users have no access to assets nor plans through the ORM: the pages
    read them as superuser, always within ``_portal_asset_domain`` (the
    customer's own assets), so another customer's asset is a 404.
    """

    def _portal_asset_domain(self):
        partner = request.env.user.partner_id.commercial_partner_id
        return [("commercial_partner_id", "=", partner.id)]

    def _portal_assets(self):
        return request.env["crm.customer.asset"].sudo()

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "customer_asset_count" in counters:
            values["customer_asset_count"] = self._portal_assets().search_count(
                self._portal_asset_domain()
            )
        return values

    def _asset_searchbar_sortings(self):
        return {
            "date": {"label": _("Newest"), "order": "purchase_date desc, id desc"},
            "name": {"label": _("Name"), "order": "name, id"},
            "coverage": {
                "label": _("Coverage Ends"),
                "order": "coverage_end_date, id",
            },
        }

    def _asset_searchbar_filters(self):
        return {
            "all": {"label": _("All"), "domain": []},
            "covered": {
                "label": _("Covered"),
                "domain": [("coverage", "in", ("warranty", "plan"))],
            },
            "not_covered": {
                "label": _("Not Covered"),
                "domain": [("coverage", "=", "none")],
            },
        }

    @http.route(
        ["/my/assets", "/my/assets/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_assets(self, page=1, sortby=None, filterby=None, **kw):
        Asset = self._portal_assets()
        sortings = self._asset_searchbar_sortings()
        filters = self._asset_searchbar_filters()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        domain = self._portal_asset_domain() + filters[filterby]["domain"]
        pager = portal_pager(
            url="/my/assets",
            url_args={"sortby": sortby, "filterby": filterby},
            total=Asset.search_count(domain),
            page=page,
            step=ASSETS_PER_PAGE,
        )
        assets = Asset.search(
            domain,
            order=sortings[sortby]["order"],
            limit=ASSETS_PER_PAGE,
            offset=pager["offset"],
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "assets": assets,
                "page_name": "customer_asset",
                "pager": pager,
                "default_url": "/my/assets",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return request.render("crm_relationship.portal_my_assets", values)

    @http.route(["/my/assets/<int:asset_id>"], type="http", auth="user", website=True)
    def portal_my_asset(self, asset_id, **kw):
        asset = self._portal_assets().search(
            self._portal_asset_domain() + [("id", "=", asset_id)]
        )
        if not asset:
            # another customer's asset answers as no asset at all
            raise NotFound()
        Ticket = request.env["crm.service.ticket"]
        tickets = (
            Ticket.search([("asset_id", "=", asset.id)], order="opened_at desc")
            if Ticket.has_access("read")
            else Ticket
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {"asset": asset, "tickets": tickets, "page_name": "customer_asset"}
        )
        return request.render("crm_relationship.portal_asset_page", values)
