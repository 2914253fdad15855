from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    asset_properties_definition = fields.PropertiesDefinition(
        "Asset Specifications",
        help="The specifications (model, capacity, …) recorded on the customer "
        "assets of the category's products.",
    )
