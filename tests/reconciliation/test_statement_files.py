"""Reading platforms' statements as they really send them."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from reconciliation.statement_files import (
    StatementUnreadable,
    guess_mapping,
    parse_amount_text,
    parse_date_text,
    read_statement,
)


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


A_REAL_ONE = [
    ["微医保流量大使对账单 2030年3月"],
    ["说明：金额单位为元"],
    ["序号", "渠道订单号", "产品名称", "核销时间", "结算金额"],
    [1, 202403150001234, "口腔检查套餐", 47193, "¥1,234.50"],
    [None, None, None, None, None],
    [2, "'202403150007654321", "洁牙套餐", "2030-03-16 10:20", 180],
    ["合计", None, None, None, "¥1,414.50"],
]


def test_a_statement_with_a_title_chinese_headers_and_money_as_text_is_read():
    read = read_statement("march.xlsx", xlsx(A_REAL_ONE), skip_lines={7})
    assert read.header_line == 3
    assert read.mapping == {"order_number": "渠道订单号", "amount": "结算金额", "redeemed_on": "核销时间"}
    assert [(r.line, r.order_number, r.amount, r.redeemed_on) for r in read.rows] == [
        (4, "202403150001234", Decimal("1234.50"), date(2029, 3, 16)),
        (6, "202403150007654321", Decimal("180.00"), date(2030, 3, 16)),
    ]
    assert read.skipped == [7] and read.problems == []


def test_the_totals_row_is_reported_until_the_user_skips_it():
    read = read_statement("march.csv", csv_bytes(A_REAL_ONE))
    assert [(p.line, p.looks_like_total) for p in read.problems] == [(7, True)]
    assert "totals row" in read.problems[0].reason


def test_every_unreadable_row_is_reported_with_its_line_column_and_reason():
    rows = [["订单号", "结算价", "核销日期"], ["A1", "abc", "2030-03-01"], ["A2", "10", "soon"], ["", "5", ""]]
    read = read_statement("x.csv", csv_bytes(rows))
    assert [(p.line, p.column) for p in read.problems] == [(2, "结算价"), (3, "核销日期"), (4, "订单号")]
    assert read.rows == []


def test_the_users_mapping_wins_over_the_guess_and_a_remembered_one_is_used():
    rows = [["编号", "平台价", "另一个金额"], ["N1", "1", "2"]]
    with pytest.raises(StatementUnreadable):
        read_statement("x.csv", csv_bytes(rows))
    read = read_statement("x.csv", csv_bytes(rows), mapping={"order_number": "编号", "amount": "另一个金额"})
    assert read.rows[0].amount == Decimal("2.00")
    again = read_statement("x.csv", csv_bytes(rows), remembered=read.mapping)
    assert again.rows[0].amount == Decimal("2.00")


@pytest.mark.parametrize("text, expected", [
    ("¥1,234.50", "1234.50"), ("￥ 12.5 元", "12.5"), ("1 234,50", "1234.50"), ("1,234", "1234"),
    ("12,5", "12.5"), ("-3.00", "-3.00"), (180, "180"), (99.9, "99.9"), ("RMB 1,000,000.01", "1000000.01"),
])
def test_amounts_as_platforms_write_them(text, expected):
    assert parse_amount_text(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "NaN"])
def test_what_is_not_an_amount(text):
    with pytest.raises(ValueError):
        parse_amount_text(text)


@pytest.mark.parametrize("value, expected", [
    (47193, date(2029, 3, 16)), ("47193", date(2029, 3, 16)), ("2030/03/05", date(2030, 3, 5)),
    ("2030年3月5日", date(2030, 3, 5)), ("05.03.2030", date(2030, 3, 5)), ("20300305", date(2030, 3, 5)),
])
def test_dates_as_text_or_excel_serial_numbers(value, expected):
    assert parse_date_text(value) == expected


def test_an_order_number_excel_kept_as_a_number_too_long_for_it_is_refused():
    read = read_statement("x.xlsx", xlsx([["订单号", "结算金额"], [202403150001234567, 10]]))
    assert [(p.line, p.column) for p in read.problems] == [(2, "订单号")]
    assert "lost its last digits" in read.problems[0].reason


def test_the_guess_prefers_exact_headers_and_never_uses_one_column_twice():
    mapping = guess_mapping(["订单金额", "渠道订单号", "结算金额"])
    assert mapping == {"order_number": "渠道订单号", "amount": "结算金额"}
