"""Reading a platform's own monthly statement as platforms really send them: a title or note
above the header, headers in the platform's language, amounts as text with a currency sign
and thousands separators ("¥1,234.50") or as numbers, dates as text or as Excel serial
numbers, blank rows, a totals row at the end, the order number sometimes stored as a number.

``read_statement`` finds the header, guesses which column holds what (or takes the mapping the
user corrected and the platform's remembered one), and reads every row: the rows it can read,
and for each one it cannot, its line and the reason. Nothing here writes to the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.money import round_money
from clinic.spreadsheets import cell_text, read_rows

MAX_ROWS = 300_000
HEADER_SEARCH_ROWS = 15

# What each field's header may be called (compared case- and space-insensitively).
FIELDS = {
    "order_number": gettext_lazy("Platform order number"),
    "amount": gettext_lazy("Settlement amount"),
    "redeemed_on": gettext_lazy("Redeemed on"),
}
REQUIRED = ("order_number", "amount")
HEADER_WORDS = {
    "order_number": ["渠道订单号", "平台订单号", "订单号", "订单编号", "第三方订单号", "order number", "order no",
                     "order no.", "order_number", "order id", "platform order number"],
    "amount": ["结算金额", "结算价", "采购价", "结算价格", "应结金额", "金额", "settlement amount", "settlement price",
               "amount", "purchase price"],
    "redeemed_on": ["核销时间", "核销日期", "服务日期", "消费时间", "日期", "redeemed at", "redeemed on",
                    "redemption date", "date"],
}
TOTAL_WORDS = ("合计", "总计", "小计", "total", "totals", "sum", "итого", "total general")
CURRENCY_MARKS = re.compile(r"(?i)[¥￥$€£]|cny|rmb|元|yuan")
EXCEL_EPOCH = date(1899, 12, 30)


def _norm(text) -> str:
    return " ".join(cell_text(text).split()).casefold()


@dataclass
class RowProblem:
    line: int
    column: str
    reason: str
    looks_like_total: bool = False


@dataclass
class StatementRow:
    line: int
    order_number: str
    amount: Decimal
    redeemed_on: date | None


@dataclass
class ReadStatement:
    header_line: int
    headers: list[str]
    mapping: dict[str, str]  # field -> header text
    rows: list[StatementRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


class StatementUnreadable(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def guess_mapping(headers: list[str], remembered: dict[str, str] | None = None) -> dict[str, str]:
    """Which header each field is under: the remembered header where it is still there, else
    the first header named like the field (exact names before names that contain the word)."""
    normalised = {_norm(h): h for h in headers if _norm(h)}
    mapping: dict[str, str] = {}
    for name, words in HEADER_WORDS.items():
        if remembered and _norm(remembered.get(name)) in normalised:
            mapping[name] = normalised[_norm(remembered[name])]
            continue
        taken = set(mapping.values())
        found = next((normalised[w] for w in words if w in normalised and normalised[w] not in taken), None)
        if found is None:
            found = next((h for w in words for n, h in normalised.items() if w in n and h not in taken), None)
        if found is not None:
            mapping[name] = found
    return mapping


def _find_header(rows: list[list], remembered: dict[str, str] | None) -> int:
    """The header is the first of the top rows where the order number and the amount can be
    found; a title or a note above it is passed over."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        headers = [cell_text(c) for c in row]
        mapping = guess_mapping(headers, remembered)
        if all(name in mapping for name in REQUIRED):
            return index
    raise StatementUnreadable(_("No header with an order number and an amount was found in the first %(n)s rows.")
                              % {"n": HEADER_SEARCH_ROWS})


def parse_amount_text(value) -> Decimal:
    """An amount as platforms write it: 1234.5, "¥1,234.50", "1 234,50", "-12.00元"."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = CURRENCY_MARKS.sub("", cell_text(value)).replace("\u00a0", "").replace(" ", "").replace("'", "")
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        # "1,234" is a thousand and more; "12,5" is twelve and a half.
        text = text.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+", text) else text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(value) from None
    if not amount.is_finite():
        raise ValueError(value)
    return amount


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y", "%Y%m%d", "%Y年%m月%d日")


def parse_date_text(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial day number (1954 to 2119)
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(value)
    text = cell_text(value)
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return parse_date_text(float(text))
    text = text.split(" ")[0].split("T")[0]
    try:
        return date.fromisoformat(text)  # the usual case, in C
    except ValueError:
        pass
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def normalise_number(value) -> str:
    """An order number as text: a number Excel kept as a number loses its ".0", an apostrophe
    that forced text goes, spaces go."""
    text = cell_text(value)
    if text.startswith("'"):
        text = text[1:]
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return "".join(text.split())


def _is_totals_row(row) -> bool:
    words = " ".join(_norm(c) for c in row if cell_text(c))
    return any(word in words for word in TOTAL_WORDS)


def read_statement(file_name: str, content: bytes, *, mapping: dict[str, str] | None = None,
                   remembered: dict[str, str] | None = None, skip_lines: set[int] | frozenset = frozenset()
                   ) -> ReadStatement:
    """Read the file; ``mapping`` (field -> header) is the user's correction, ``remembered`` the
    platform's last one; ``skip_lines`` the lines the user said are not orders."""
    rows = []
    for row in read_rows(file_name, content, max_columns=40):
        rows.append(row)
        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise StatementUnreadable(_("The file has more than %(n)s rows.") % {"n": number_format(MAX_ROWS, use_l10n=True, force_grouping=True)})
    header_index = _find_header(rows, mapping or remembered)
    headers = [cell_text(c) for c in rows[header_index]]
    guessed = guess_mapping(headers, remembered)
    if mapping:
        guessed.update({name: header for name, header in mapping.items() if header})
    missing = [str(FIELDS[name]) for name in REQUIRED if guessed.get(name) not in headers]
    if missing:
        raise StatementUnreadable(_("Choose the column of: %(fields)s.") % {"fields": ", ".join(missing)})
    position = {name: headers.index(header) for name, header in guessed.items() if header in headers}
    result = ReadStatement(header_line=header_index + 1, headers=headers, mapping=guessed)

    def at(row, name):
        index = position.get(name)
        return row[index] if index is not None and index < len(row) else None

    for index in range(header_index + 1, len(rows)):
        row, line = rows[index], index + 1
        if not any(cell_text(c) for c in row):
            continue  # a blank row
        if line in skip_lines:
            result.skipped.append(line)
            continue
        raw_number = at(row, "order_number")
        if isinstance(raw_number, (int, float)) and not isinstance(raw_number, bool) and abs(raw_number) >= 10**15:
            # Excel keeps 15 significant digits of a number: the order number's last digits are lost.
            result.problems.append(RowProblem(line, guessed["order_number"], _(
                "The order number was stored as a number and lost its last digits; export the column as text.")))
            continue
        number = normalise_number(raw_number)
        if not any(ch.isdigit() for ch in number) and _is_totals_row(row):
            result.problems.append(RowProblem(line, guessed["order_number"],
                                              _("This looks like a totals row, not an order: skip it."),
                                              looks_like_total=True))
            continue
        if not number:
            result.problems.append(RowProblem(line, guessed["order_number"], _("The order number is empty.")))
            continue
        try:
            amount = parse_amount_text(at(row, "amount"))
        except ValueError:
            result.problems.append(RowProblem(line, guessed["amount"],
                                              _("“%(value)s” is not an amount.") % {"value": cell_text(at(row, "amount"))}))
            continue
        redeemed_on = None
        if "redeemed_on" in position and cell_text(at(row, "redeemed_on")):
            try:
                redeemed_on = parse_date_text(at(row, "redeemed_on"))
            except ValueError:
                result.problems.append(RowProblem(line, guessed["redeemed_on"], _("“%(value)s” is not a date.")
                                                  % {"value": cell_text(at(row, "redeemed_on"))}))
                continue
        result.rows.append(StatementRow(line, number, round_money(amount), redeemed_on))
    return result


def preview_headers(file_name: str, content: bytes, *, mapping: dict[str, str] | None = None,
                    remembered: dict[str, str] | None = None) -> tuple[int, list[str], dict[str, str]]:
    """For the column-mapping step: the header line (1-based), its headers and the guessed
    mapping. The header is the row ``read_statement`` would take; when no row names an order
    number and an amount, the top row with the most filled cells (the user then maps it)."""
    rows = []
    for row in read_rows(file_name, content, max_columns=40):
        rows.append(row)
        if len(rows) >= HEADER_SEARCH_ROWS:
            break
    if not rows:
        raise StatementUnreadable(_("The file is empty."))
    try:
        index = _find_header(rows, mapping or remembered)
    except StatementUnreadable:
        index = max(range(len(rows)), key=lambda i: (sum(1 for c in rows[i] if cell_text(c)), -i))
    headers = [cell_text(c) for c in rows[index]]
    guessed = guess_mapping(headers, remembered)
    if mapping:
        guessed.update({name: header for name, header in mapping.items() if header in headers})
    return index + 1, headers, guessed
