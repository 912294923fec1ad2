"""One XRechnung invoice as plain, immutable data (no Django, no XML).

Billing code fills these dataclasses from a Belegung and its Leistungsnachweis;
:func:`koffer.placements.xrechnung.cii.build_cii` turns them into CII XML and
:func:`koffer.placements.xrechnung.validation.validate` checks the result against the
official rules. The dataclasses deliberately do not repeat the business rules (BR-DE-*,
BR-CO-*): a missing e-mail address or Leitweg-ID is reported by the official validator
with its rule id, so there is one source of truth. What they do hold is the arithmetic:
amounts are :class:`~decimal.Decimal`, rounded commercially (half up) to cents, and every
total is computed in one place (:func:`compute_totals`), so that the sums the rules
check (BR-CO-10, BR-CO-13, BR-CO-15, BR-CO-16, BR-E-8) agree by construction.

The services billed here are exempt from VAT: every line and the one VAT breakdown use
category "E" (exempt), rate 0, with the exemption reason (BT-120) and code (BT-121) of
the field of work, e.g. § 4 Nr. 25 UStG and VATEX-EU-132-1H for youth welfare (the
default), § 4 Nr. 16 UStG and VATEX-EU-132-1G for elder care. They come from the
Fachbereich's configuration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# BT-24 and BT-23: XRechnung 3.0 (CIUS of EN 16931) in the Peppol billing process.
GUIDELINE_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
BUSINESS_PROCESS_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

# VAT category "E" (exempt from tax); its rate is always 0 (BR-E-5, BR-E-6).
TAX_CATEGORY_EXEMPT = "E"


def money(value: Decimal | int) -> Decimal:
    """An amount in euro rounded to cents, half up (kaufmännische Rundung)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


PRICE_PLACES = Decimal("0.000001")


def unit_price(value: Decimal | int) -> Decimal:
    """A net price (BT-146) to six decimals (half up): a day price in cents stays as it
    is, a share of a day rate the contract rounds per line keeps its exact value."""
    return Decimal(value).quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)


def _decimal(value: Decimal | int, what: str) -> Decimal:
    if isinstance(value, float) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} bitte als Decimal angeben, nicht als {type(value).__name__}.")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{what} muss eine endliche Zahl sein.")
    return result


class InvoiceType(StrEnum):
    """BT-3, UNTDID 1001 (XRechnung allows these two among a few others, BR-DE-17)."""

    INVOICE = "380"
    CREDIT_NOTE = "381"


class UnitCode(StrEnum):
    """BT-130, UN/ECE Recommendation 20."""

    DAY = "DAY"
    HOUR = "HUR"
    MONTH = "MON"
    PIECE = "C62"
    LUMP_SUM = "LS"


@dataclass(frozen=True)
class Period:
    """A period of service, both days included (BG-14 for the invoice, BG-26 per line)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("Das Ende des Zeitraums liegt vor seinem Beginn.")


@dataclass(frozen=True)
class Address:
    """A postal address (BG-5 seller, BG-8 buyer)."""

    street: str
    postcode: str
    city: str
    country: str = "DE"
    additional_line: str = ""


@dataclass(frozen=True)
class ElectronicAddress:
    """BT-34 / BT-49: where an invoice can be delivered electronically.

    Scheme "EM" is an e-mail address; a public buyer reachable through a Peppol or
    OZG-RE access point is addressed with its Leitweg-ID under scheme "0204".
    """

    value: str
    scheme: str = "EM"


@dataclass(frozen=True)
class SellerContact:
    """BG-6, mandatory in XRechnung (BR-DE-2): name, telephone and e-mail (BR-DE-5/6/7)."""

    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class Seller:
    """The Träger who invoices (BG-4).

    A Träger without a VAT id gives its tax number (Steuernummer, BT-32); since the tax
    number does not identify it for EN 16931 (BR-CO-26), it then also needs its
    register entry (BT-30, e.g. "VR 1234, Amtsgericht Musterstadt").
    """

    name: str
    address: Address
    contact: SellerContact
    electronic_address: ElectronicAddress
    vat_id: str = ""
    tax_number: str = ""
    legal_registration_id: str = ""
    legal_info: str = ""


@dataclass(frozen=True)
class Buyer:
    """The public body that pays, usually the Jugendamt of a Kreis or Stadt (BG-7)."""

    name: str
    address: Address
    electronic_address: ElectronicAddress


@dataclass(frozen=True)
class PaymentMeans:
    """BG-16/BG-17: SEPA credit transfer (code 58) to the Träger's account."""

    iban: str
    account_name: str = ""
    bic: str = ""
    type_code: str = "58"


@dataclass(frozen=True)
class VatExemption:
    """Why no VAT is charged: the text (BT-120), the VATEX code (BT-121) and the
    category (BT-118/BT-151; "E", exempt, the only one with rate 0 written here)."""

    reason: str
    reason_code: str = ""
    category: str = TAX_CATEGORY_EXEMPT


YOUTH_WELFARE_EXEMPTION = VatExemption(
    reason="Umsatzsteuerfrei gemäß § 4 Nr. 25 UStG (Leistungen der Kinder- und Jugendhilfe)",
    reason_code="VATEX-EU-132-1H",
)


@dataclass(frozen=True)
class BillingBasis:
    """What the invoice rests on, so the Jugendamt can match it without asking.

    ``leistungsnachweis_id`` is the monthly Leistungsnachweis (supporting document,
    BT-122), ``belegung_id`` the Belegung (invoiced object, BT-18), ``kostenzusage``
    the Jugendamt's cost commitment, e.g. its Aktenzeichen (contract reference, BT-12).
    """

    leistungsnachweis_id: str = ""
    leistungsnachweis_title: str = "Leistungsnachweis"
    belegung_id: str = ""
    kostenzusage: str = ""


@dataclass(frozen=True)
class PrecedingInvoice:
    """BG-3: the invoice a credit note corrects."""

    number: str
    issue_date: date | None = None


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice line (BG-25).

    ``net_price`` is kept to six decimals: a day price in cents, or the exact share of a
    day rate a contract rounds per line (e.g. 136.875). The line amount (BT-131) is always
    ``quantity × net_price``, rounded to cents, never passed in.
    """

    line_id: str
    name: str
    quantity: Decimal
    net_price: Decimal
    unit: UnitCode = UnitCode.DAY
    description: str = ""
    period: Period | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantity", _decimal(self.quantity, "Die Menge"))
        object.__setattr__(self, "net_price", unit_price(_decimal(self.net_price, "Der Preis")))

    @property
    def net_amount(self) -> Decimal:
        """BT-131: quantity times price, rounded half up to cents."""
        return money(self.quantity * self.net_price)


@dataclass(frozen=True)
class Totals:
    """BG-22 and the one VAT breakdown (BG-23), all in euro with two decimals."""

    line_total: Decimal  # BT-106, sum of BT-131
    tax_basis: Decimal  # BT-109 and BT-116 (no allowances or charges)
    tax: Decimal  # BT-110 and BT-117, always 0 for category E
    grand_total: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    due_payable: Decimal  # BT-115


def compute_totals(lines: Iterable[InvoiceLine]) -> Totals:
    """The one place where the invoice's sums are made."""
    line_total = money(sum((line.net_amount for line in lines), ZERO))
    tax_basis = line_total
    tax = ZERO
    grand_total = money(tax_basis + tax)
    prepaid = ZERO
    return Totals(
        line_total=line_total,
        tax_basis=tax_basis,
        tax=tax,
        grand_total=grand_total,
        prepaid=prepaid,
        due_payable=money(grand_total - prepaid),
    )


@dataclass(frozen=True)
class Invoice:
    """One invoice of a Träger to a Jugendamt, ready for :func:`build_cii`.

    ``buyer_reference`` is the Leitweg-ID of the paying office (BT-10, BR-DE-15).
    ``payment_reference`` (BT-83, Verwendungszweck) defaults to the invoice number.
    """

    number: str
    issue_date: date
    buyer_reference: str
    seller: Seller
    buyer: Buyer
    payment: PaymentMeans
    period: Period
    lines: tuple[InvoiceLine, ...]
    type_code: InvoiceType = InvoiceType.INVOICE
    currency: str = "EUR"
    payment_terms: str = ""
    due_date: date | None = None
    payment_reference: str = ""
    exemption: VatExemption = YOUTH_WELFARE_EXEMPTION
    basis: BillingBasis = field(default_factory=BillingBasis)
    preceding_invoice: PrecedingInvoice | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A list passed by mistake would make the frozen invoice mutable after all.
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def totals(self) -> Totals:
        return compute_totals(self.lines)
