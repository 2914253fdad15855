"""A real Tryton server for the tests of the Tryton source.

Tryton runs in its own virtualenv (``.venv-tryton``, made by ``make test``;
``CRM_SYNC_TRYTON_PYTHON`` names another interpreter), as its pins clash with
Odoo's. This file is both sides:

- imported by the tests (in the project venv): ``TrytonServer`` creates a
  SQLite database in a folder, runs the setup below in the Tryton venv, then
  serves it with ``trytond`` on a loopback port;
- run as a script by the Tryton venv's python: ``setup`` activates
  account_invoice and records the scenario, ``invoice`` and ``pay`` change it
  later, ``user`` adds a user in no group; each prints a JSON answer on its
  last line.

The scenario (company in ILS, VAT 17%, dates relative to today):

========  ==========================  =========================================
key       customer                    what
========  ==========================  =========================================
old       Hebrew name, Israeli tax id 200 days ago, 500 + tax, paid
open      Hebrew name, Israeli tax id 40 days ago, 1000 + tax, net 30: overdue
partly    only an email               5 days ago, 2000 + tax, 1000 paid
paid      only an email               3 days ago, 100 + tax, paid
credit    only an email               credit note of ``paid``, posted, open
refunded  Hebrew name, Israeli tax id 2 days ago, 300 + tax, credited with
                                      refund: cancelled
refund    Hebrew name, Israeli tax id the credit note of ``refunded``: paid
euro      only an email               today, 400 EUR, no tax, open
========  ==========================  =========================================

Not to be read: a draft and a validated customer invoice, a posted supplier
invoice.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from servers import ServerProcess

REPO = Path(__file__).resolve().parent.parent
DATABASE = "crm"
ADMIN_PASSWORD = "admin-Tryton-1"
HEBREW_NAME = "אלקטרה מוצרי צריכה בע״מ"
ISRAELI_TAX_ID = "520000118"  # a valid Israeli company number (il_hp)
EMAIL_ONLY = "only-email@example.com"
PRODUCT_CODE = "SI-10K"  # the product of the lines of "open" and "refunded"
SETUP_TIMEOUT = 600


def tryton_python():
    """The Tryton venv's interpreter, or None."""
    configured = os.environ.get("CRM_SYNC_TRYTON_PYTHON")
    path = Path(configured) if configured else REPO / ".venv-tryton" / "bin" / "python"
    return path if path.is_file() and os.access(path, os.X_OK) else None


class TrytonServer(ServerProcess):
    """trytond serving one SQLite database with the scenario above."""

    name = "trytond"

    def __init__(self, folder, python=None):
        self.folder = Path(folder)
        super().__init__(log_path=self.folder / "trytond.log")
        self.python = Path(python or tryton_python())
        self.database = DATABASE
        self.username = "admin"
        self.password = ADMIN_PASSWORD
        self.config_path = self.folder / "trytond.conf"
        self.scenario = None

    def _env(self):
        passfile = self.folder / "admin-password"
        passfile.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
        return dict(
            os.environ,
            TRYTONPASSFILE=str(passfile),
            PYTHONPATH="",
            PYTHONIOENCODING="utf-8",
        )

    def write_config(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            "[database]\n"
            "uri = sqlite://\n"
            f"path = {self.folder}\n"
            "[web]\n"
            f"listen = 127.0.0.1:{self.port}\n"
            "[session]\n"
            "max_attempt = 20\n",
            encoding="utf-8",
        )

    def setup(self):
        """Create the database and record the scenario (once per folder)."""
        self.write_config()
        (self.folder / f"{self.database}.sqlite").touch()  # trytond wants it
        bin_dir = self.python.parent
        self._run(
            [
                str(bin_dir / "trytond-admin"),
                "-c",
                str(self.config_path),
                "-d",
                self.database,
                "-u",
                "account_invoice",
                "--activate-dependencies",
                "--email",
                "admin@example.com",
            ],
            "trytond-admin",
        )
        self.scenario = self.script("setup")
        return self

    def script(self, command, *args):
        """Run a command of this file in the Tryton venv; its JSON answer."""
        output = self._run(
            [
                str(self.python),
                __file__,
                command,
                str(self.config_path),
                self.database,
                *map(str, args),
            ],
            f"tryton_helpers.py {command}",
        )
        return json.loads(output.strip().splitlines()[-1])

    def _run(self, command, name):
        result = subprocess.run(
            command,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=SETUP_TIMEOUT,
            check=False,
            cwd=self.folder,
        )
        if result.returncode:
            raise RuntimeError(
                f"{name} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
            )
        return result.stdout

    def command(self):
        return [
            str(self.python.parent / "trytond"),
            "-c",
            str(self.config_path),
            "--logconf",
            str(self._log_config()),
        ]

    def environment(self):
        return self._env()

    def cwd(self):
        return self.folder

    def answers(self):
        request = urllib.request.Request(
            f"{self.url}/",
            data=json.dumps(
                {"id": 0, "method": "common.server.version", "params": []}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                return "result" in json.load(answer)
        except (OSError, ValueError):
            return False

    def _log_config(self):
        path = self.folder / "logging.conf"
        path.write_text(
            "[formatters]\nkeys=simple\n"
            "[handlers]\nkeys=console\n"
            "[loggers]\nkeys=root\n"
            "[formatter_simple]\n"
            "format=%(asctime)s %(levelname)s %(name)s %(message)s\n"
            "[handler_console]\nclass=StreamHandler\nformatter=simple\n"
            "args=(sys.stderr,)\n"
            "[logger_root]\nlevel=INFO\nhandlers=console\n",
            encoding="utf-8",
        )
        return path


def make_server(folder=None):
    """A started server in ``folder`` (a new temporary one by default)."""
    folder = Path(folder or tempfile.mkdtemp(prefix="crm-sync-tryton-"))
    server = TrytonServer(folder).setup()
    return server.start()


def remove(server):
    server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)


# ---------------------------------------------------------------------------
# the scenario, run by the Tryton venv's python (proteus on the database)
# ---------------------------------------------------------------------------


def _connect(config_file, database):
    from proteus import config  # noqa: PLC0415

    return config.set_trytond(database=database, config_file=config_file)


def _context():
    import datetime as dt  # noqa: PLC0415
    from decimal import Decimal  # noqa: PLC0415

    from proteus import Model  # noqa: PLC0415
    from proteus.config import get_config  # noqa: PLC0415
    from trytond.modules.account.tests.tools import get_accounts  # noqa: PLC0415
    from trytond.modules.company.tests.tools import get_company  # noqa: PLC0415

    config = get_config()
    config._context = Model.get("res.user").get_preferences(True, {})
    company = get_company()
    accounts = get_accounts(company)
    [tax] = Model.get("account.tax").find([("name", "=", "VAT 17%")])
    [payment_method] = Model.get("account.invoice.payment.method").find([])
    [term] = Model.get("account.invoice.payment_term").find([("name", "=", "Net 30")])
    products = Model.get("product.product").find([("code", "=", PRODUCT_CODE)])
    return {
        "product": products[0] if products else None,
        "today": dt.date.today(),
        "Decimal": Decimal,
        "company": company,
        "accounts": accounts,
        "tax": tax,
        "payment_method": payment_method,
        "term": term,
    }


def _invoice(
    ctx,
    party,
    untaxed,
    days_ago,
    taxed=True,
    currency=None,
    kind="out",
    product=False,
    quantity=1,
):
    import datetime as dt  # noqa: PLC0415

    from proteus import Model  # noqa: PLC0415

    invoice = Model.get("account.invoice")()
    invoice.type = kind
    invoice.party = party
    invoice.payment_term = ctx["term"]
    if currency is not None:
        invoice.currency = currency
    invoice.invoice_date = ctx["today"] - dt.timedelta(days=days_ago)
    line = invoice.lines.new()
    if product:
        line.product = ctx["product"]
    line.account = ctx["accounts"]["revenue" if kind == "out" else "expense"]
    line.description = "Solar inverter" if product else "Consulting"
    line.quantity = quantity
    line.unit_price = ctx["Decimal"](untaxed)
    if taxed and kind == "out":
        line.taxes.append(Model.get("account.tax")(ctx["tax"].id))
    invoice.save()
    return invoice


def _post(invoice):
    from proteus import Model  # noqa: PLC0415
    from proteus.config import get_config  # noqa: PLC0415
    from trytond.exceptions import UserWarning  # noqa: PLC0415

    try:
        invoice.click("post")
    except UserWarning as warning:  # a due date in the past: say yes, as a user
        Warning = Model.get("res.user.warning")
        Warning(user=get_config().user, name=warning.name, always=False).save()
        invoice.click("post")
    return invoice


def _pay(ctx, invoice, amount):
    pay = invoice.click("pay")
    pay.form.amount = ctx["Decimal"](amount)
    pay.form.payment_method = ctx["payment_method"]
    pay.form.date = ctx["today"]
    pay.execute("choice")
    if pay.state != "end":  # less than due: keep the rest to pay
        pay.form.type = "partial"
        pay.execute("pay")
    invoice.reload()
    return invoice


def _credit(invoice, refund):
    from proteus import Model, Wizard  # noqa: PLC0415

    Invoice = Model.get("account.invoice")
    before = {i.id for i in Invoice.find([("type", "=", "out")])}
    credit = Wizard("account.invoice.credit", [invoice])
    credit.form.with_refund = refund
    credit.form.invoice_date = invoice.invoice_date
    credit.execute("credit")
    [note] = [i for i in Invoice.find([("type", "=", "out")]) if i.id not in before]
    invoice.reload()
    return note


def _describe(invoice):
    invoice.reload()
    return {
        "id": invoice.id,
        "number": invoice.number,
        "state": invoice.state,
        "total": str(invoice.total_amount),
        "party": invoice.party.id,
    }


def scenario_setup(config_file, database):
    import datetime as dt  # noqa: PLC0415
    from decimal import Decimal  # noqa: PLC0415

    from proteus import Model  # noqa: PLC0415
    from trytond.modules.account.tests.tools import (  # noqa: PLC0415
        create_chart,
        create_fiscalyear,
        create_tax,
        get_accounts,
    )
    from trytond.modules.account_invoice.tests.tools import (  # noqa: PLC0415
        set_fiscalyear_invoice_sequences,
    )
    from trytond.modules.company.tests.tools import (  # noqa: PLC0415
        create_company,
        get_company,
    )
    from trytond.modules.currency.tests.tools import get_currency  # noqa: PLC0415

    _connect(config_file, database)
    today = dt.date.today()
    ils = get_currency("ILS")
    eur = get_currency("EUR")
    for currency, rate in ((ils, "1"), (eur, "0.25")):
        currency.rates.new(date=dt.date(today.year - 1, 1, 1), rate=Decimal(rate))
        currency.save()
    Party = Model.get("party.party")
    company_party = Party(name="CRM Test Company")
    company_party.save()
    create_company(party=company_party, currency=ils)
    company = get_company()
    company.cancel_invoice_out = True
    company.save()
    for year_day in (today.replace(year=today.year - 1), today):
        fiscalyear = set_fiscalyear_invoice_sequences(
            create_fiscalyear(company, year_day)
        )
        fiscalyear.click("create_period")
        [sequences] = fiscalyear.invoice_sequences
        numbering = sequences.out_invoice_sequence
        numbering.prefix = f"INV{year_day.year}-"
        numbering.padding = 4
        numbering.save()
    create_chart(company)
    accounts = get_accounts(company)
    tax = create_tax(Decimal(".17"))
    tax.name = tax.description = "VAT 17%"
    tax.save()
    Journal = Model.get("account.journal")
    [cash_journal] = Journal.find([("type", "=", "cash")])
    method = Model.get("account.invoice.payment.method")(
        name="Bank transfer",
        journal=cash_journal,
        credit_account=accounts["cash"],
        debit_account=accounts["cash"],
    )
    method.save()
    term = Model.get("account.invoice.payment_term")(name="Net 30")
    term_line = term.lines.new(type="remainder")
    term_line.relativedeltas.new(days=30)
    term.save()

    category = Model.get("product.category")(name="Equipment", accounting=True)
    category.account_revenue = accounts["revenue"]
    category.account_expense = accounts["expense"]
    category.save()
    [unit] = Model.get("product.uom").find([("name", "=", "Unit")])
    template = Model.get("product.template")(
        name="Solar Inverter",
        code=PRODUCT_CODE,
        type="goods",
        default_uom=unit,
        list_price=Decimal("1000"),
        account_category=category,
    )
    template.save()

    hebrew = Party(name=HEBREW_NAME)
    identifier = hebrew.identifiers.new()
    identifier.type = "il_vat"  # il_hp, as Tryton 7 names it
    identifier.code = ISRAELI_TAX_ID
    hebrew.contact_mechanisms.new(type="email", value="billing@electra.example")
    hebrew.save()
    email_only = Party(name="Only Email Ltd")
    email_only.contact_mechanisms.new(type="email", value=EMAIL_ONLY)
    email_only.save()
    supplier = Party(name="A Supplier")
    supplier.save()

    ctx = _context()
    made = {}
    made["old"] = _post(_invoice(ctx, hebrew, "500", 200))
    _pay(ctx, made["old"], "585")
    made["open"] = _post(_invoice(ctx, hebrew, "1000", 40, product=True))
    made["partly"] = _post(_invoice(ctx, email_only, "2000", 5))
    _pay(ctx, made["partly"], "1000")
    made["paid"] = _post(_invoice(ctx, email_only, "100", 3))
    _pay(ctx, made["paid"], "117")
    made["credit"] = _credit(made["paid"], refund=False)
    made["credit"].invoice_date = made["paid"].invoice_date
    made["credit"].save()
    _post(made["credit"])
    made["refunded"] = _post(_invoice(ctx, hebrew, "300", 2, product=True))
    made["refund"] = _credit(made["refunded"], refund=True)
    made["euro"] = _post(_invoice(ctx, email_only, "400", 0, taxed=False, currency=eur))
    draft = _invoice(ctx, hebrew, "10", 0)
    validated = _invoice(ctx, hebrew, "20", 0)
    validated.click("validate_invoice")
    supplier_invoice = _invoice(ctx, supplier, "50", 1, kind="in")
    _post(supplier_invoice)
    answer = {key: _describe(invoice) for key, invoice in made.items()}
    answer["not_read"] = [draft.id, validated.id, supplier_invoice.id]
    answer["parties"] = {"hebrew": hebrew.id, "email_only": email_only.id}
    return answer


def scenario_invoice(config_file, database, party_id, untaxed, quantity=None, days=0):
    """Post a new customer invoice (of today, else ``days`` ago); with a
    ``quantity``, a line of that many units of the product."""
    from proteus import Model  # noqa: PLC0415

    _connect(config_file, database)
    ctx = _context()
    party = Model.get("party.party")(int(party_id))
    invoice = _invoice(
        ctx,
        party,
        untaxed,
        int(days),
        product=quantity is not None,
        quantity=int(quantity or 1),
    )
    return _describe(_post(invoice))


def scenario_credit(config_file, database, invoice_id):
    """Credit an invoice with Tryton's wizard (without refund) and post the
    credit note: its lines' origin are the invoice's lines."""
    from proteus import Model  # noqa: PLC0415

    _connect(config_file, database)
    invoice = Model.get("account.invoice")(int(invoice_id))
    return _describe(_post(_credit(invoice, refund=False)))


def scenario_pay(config_file, database, invoice_id, amount):
    """Record a payment of an invoice."""
    from proteus import Model  # noqa: PLC0415

    _connect(config_file, database)
    ctx = _context()
    invoice = Model.get("account.invoice")(int(invoice_id))
    return _describe(_pay(ctx, invoice, amount))


def scenario_user(config_file, database, login, password):
    """A user in no group: may log in, may not read invoices."""
    from proteus import Model  # noqa: PLC0415

    _connect(config_file, database)
    user = Model.get("res.user")(name=login, login=login, password=password)
    user.save()
    return {"id": user.id}


def main(argv):
    commands = {
        "setup": scenario_setup,
        "invoice": scenario_invoice,
        "pay": scenario_pay,
        "credit": scenario_credit,
        "user": scenario_user,
    }
    command, *args = argv
    answer = commands[command](*args)
    sys.stdout.write("\n" + json.dumps(answer) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
