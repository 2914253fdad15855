from odoo import models
from odoo.models import parse_read_group_spec
from odoo.tools import SQL


class CrmAnalysisMixin(models.AbstractModel):
    """Aggregates that a sum or an average of rows gets wrong.

    ``_sql_aggregates`` maps a measure to the SQL aggregate the database
    computes over the rows of each pivot or graph group, with ``{t}`` for the
    view: a median (``percentile_cont``), a count of distinct leads, a rate
    of two such counts. Any grouping then gives the true figure, not an
    average of averages.
    """

    _name = "crm.analysis.mixin"
    _description = "Sales Analysis Aggregates"

    _sql_aggregates = {}

    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec != "__count":
            fname, __, __ = parse_read_group_spec(aggregate_spec)
            if fname in self._sql_aggregates:
                # the field's own access is checked as for any measure
                self._field_to_sql(self._table, fname, query)
                table = SQL.identifier(self._table)
                return SQL(self._sql_aggregates[fname].replace("{t}", "%(t)s"), t=table)
        return super()._read_group_select(aggregate_spec, query)


def distinct_count(column):
    return f"COUNT(DISTINCT {{t}}.{column})"


def distinct_rate(numerator, denominator):
    return (
        f"100.0 * COUNT(DISTINCT {{t}}.{numerator}) "
        f"/ NULLIF(COUNT(DISTINCT {{t}}.{denominator}), 0)"
    )


def median(column):
    return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {{t}}.{column})"


def per_lead(function, column):
    """``function`` (avg or median) of ``column`` counting each lead once,
    however many product rows it has in the group."""
    values = (
        f"unnest(ARRAY_AGG(DISTINCT {{t}}.lead_id::text || ':' "
        f"|| {{t}}.{column}::text)) AS pair"
    )
    value = "split_part(pair, ':', 2)::float"
    if function == "median":
        return (
            f"(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {value}) "
            f"FROM {values})"
        )
    return f"(SELECT AVG({value}) FROM {values})"
