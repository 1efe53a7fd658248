"""Monthly reconciliation at size: a clinic with 100,000 orders redeemed in one month.

Run from the project root with ``python -m bench.reconcile`` (``--orders N`` for a smaller run).

It never touches your data: it creates its own database ``bench_reconcile`` on the server
named by DATABASE_URL (or on the embedded PostgreSQL when DATABASE_URL is unset) and drops it
at the end (``--keep`` keeps it). The orders, their payers, visits and ledger postings are
loaded with COPY. Measured:

- generating March's statement (``reconciliation.statements.generate_statement``);
- exporting it to xlsx through the project's one writer, against bare openpyxl ``write_only``
  writing the same rows in the same run (the floor): time, ratio and peak memory (tracemalloc);
- importing the platform's statement of the same size (an xlsx with a title row, Chinese
  headers, amounts as "¥180.00" text and a totals row) with 1 % planted differences of each
  kind, and matching it (``import_platform_statement``), against pandas reading the same file
  and merging the two tables in the same run: time and ratio;
- that every planted difference is found in its category, and nothing else.

Progress goes to stderr; the report and, as the very last line, one JSON object of the
figures go to stdout.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import sys
import time
import tracemalloc
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bench._common import bench_database, copy_rows, log, reset_id_sequence

BENCH_DATABASE = "bench_reconcile"
CLINIC_SLUG = "bench-reconcile"
ZONE = ZoneInfo("Asia/Shanghai")
PRICE = Decimal("180.00")
TARGETS = {"export_ratio": 1.3, "export_peak_mb": 150, "import_match_s": 5.0}
KINDS = ("amount_differs", "platform_only", "clinic_only", "duplicated", "other_month")


def load(orders: int):
    """Platform, product and enrolment (public); in the clinic: a service, 1,000 patients, and
    per order a payer, a visit, a balanced charge posting and the redeemed order. Also one
    per cent more orders redeemed in February (for "belongs to another month")."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from billing.models import Counterparty, LedgerEntry, Payer, Posting, Visit
    from clinic.accounts.models import User
    from clinic.models import Location
    from clinic.patients.models import Patient
    from platforms.catalogue.models import Enrolment, Platform, Product
    from platforms.models import PlatformOrder

    clinic = connection.tenant
    with schema_context("public"):
        platform = Platform.objects.create(code="insurer", name="Insurer benefits", currency="CNY")
        product = Product.objects.create(platform=platform, code="CHECK", name="Oral check-up", kind="package",
                                         settlement_price=PRICE, valid_from=date(2020, 1, 1))
        Enrolment.objects.create(clinic=clinic, platform=platform, status="approved", identifier="bench-1")
    connection.set_tenant(clinic)
    actor = User.objects.first()
    location = Location.objects.create(name="Bench location")
    patients = Patient.objects.bulk_create(
        [Patient(first_name=f"Patient{i}", last_name="Bench") for i in range(1000)], batch_size=1000)
    counterparty = Counterparty.objects.create(kind="platform", reference="platform:insurer", name=platform.name,
                                               currency="CNY")
    february = orders // 100
    total = orders + february
    march_first = datetime(2030, 3, 1, 8, tzinfo=ZONE)
    feb_first = datetime(2030, 2, 1, 8, tzinfo=ZONE)

    def redeemed_at(i):
        if i < orders:
            return march_first + timedelta(seconds=i * (30 * 86400 // max(orders, 1)))
        return feb_first + timedelta(seconds=(i - orders) * 60)

    ids = range(1, total + 1)
    copy_rows(Payer, ["id", "kind", "patient_id", "name", "counterparty_id", "created"],
              ([i, "platform_order", patients[i % 1000].pk, f"Insurer O{i:09d}", counterparty.pk, redeemed_at(i - 1)]
               for i in ids))
    copy_rows(Visit, ["id", "number", "patient_id", "appointment_id", "location_id", "practitioner_id", "currency",
                      "status", "opened_at", "opened_by_id", "closed_at"],
              ([i, i, patients[i % 1000].pk, None, location.pk, None, "CNY", "closed", redeemed_at(i - 1), actor.pk,
                redeemed_at(i - 1)] for i in ids))
    copy_rows(Posting, ["id", "kind", "actor_id", "created"], ([i, "charge", None, redeemed_at(i - 1)] for i in ids))
    columns = [f.column for f in LedgerEntry._meta.concrete_fields]

    def legs():
        for i in ids:
            at = redeemed_at(i - 1)
            base = dict.fromkeys(columns)
            base.update(posting_id=i, kind="charge", amount=PRICE, currency="CNY", points=0, method="",
                        patient_id=patients[i % 1000].pk, visit_id=i, note="", created=at)
            yield [{**base, "id": 2 * i - 1, "account_id": i, "book": "", "bucket": "debt", "side": 1}[c]
                   for c in columns]
            yield [{**base, "id": 2 * i, "account_id": None, "book": "platform.clearing", "bucket": "book",
                    "side": -1}[c] for c in columns]

    copy_rows(LedgerEntry, columns, legs())
    order_columns = [f.column for f in PlatformOrder._meta.concrete_fields]

    def order_rows():
        for i in ids:
            row = dict.fromkeys(order_columns)
            row.update(id=i, platform_id=platform.pk, product_id=product.pk, number=f"O{i:09d}", kind="package",
                       price=PRICE, currency="CNY", customer_name="Bench customer", customer_phone="",
                       purchased_at=None, received_at=redeemed_at(i - 1), source="api", message_id="", payload="{}",
                       status="redeemed", patient_id=patients[i % 1000].pk, appointment_id=None, payer_id=i,
                       redeemed_at=redeemed_at(i - 1), redeemed_by_id=actor.pk, visit_id=i, voucher_payment_id=None,
                       image="", no_image_reason="bench", closed_reason="")
            yield [row[c] for c in order_columns]

    copy_rows(PlatformOrder, order_columns, order_rows())
    for model in (Payer, Visit, Posting, LedgerEntry, PlatformOrder):
        reset_id_sequence(model)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return platform, actor


def platform_file(orders: int) -> tuple[bytes, dict[str, set[str]]]:
    """The platform's statement: every March order, with 1 % of each kind of difference planted."""
    from openpyxl import Workbook

    step = 100
    planted = {kind: set() for kind in KINDS}
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["微医保流量大使对账单 2030年3月"])
    sheet.append(["序号", "渠道订单号", "产品名称", "核销时间", "结算金额"])
    line = 0
    for i in range(1, orders + 1):
        number = f"O{i:09d}"
        kind = KINDS[(i // step) % len(KINDS)] if i % step == 0 else None
        if kind == "clinic_only":
            planted[kind].add(number)
            continue
        amount = PRICE - Decimal("10.00") if kind == "amount_differs" else PRICE
        line += 1
        sheet.append([line, number, "口腔检查套餐", "2030-03-15", f"¥{amount:,.2f}"])
        if kind == "amount_differs":
            planted[kind].add(number)
        if kind == "duplicated":
            planted[kind].add(number)
            line += 1
            sheet.append([line, number, "口腔检查套餐", "2030-03-15", f"¥{amount:,.2f}"])
    per_kind = max(1, orders // step // len(KINDS))
    for j in range(per_kind):
        line += 1
        number = f"X{j:09d}"
        planted["platform_only"].add(number)
        sheet.append([line, number, "口腔检查套餐", "2030-03-20", "¥180.00"])
    for j in range(orders // 100):  # February's orders the platform lists in March
        number = f"O{orders + 1 + j:09d}"
        planted["other_month"].add(number)
        line += 1
        sheet.append([line, number, "口腔检查套餐", "2030-02-27", "180"])
    sheet.append(["合计", None, None, None, "¥0.00"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), planted


def timed(call):
    gc.collect()
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def peak_mb(call) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--profile", choices=["generate", "import"], help="profile one step and stop")
    args = parser.parse_args(argv)
    with bench_database(BENCH_DATABASE, keep=args.keep):
        from django.db import connection

        from clinic.exports.writer import write_xlsx
        from clinic.tenants.services import create_clinic
        from reconciliation.models import Difference, StatementLine
        from reconciliation.statements import generate_statement, import_platform_statement  # noqa: F401

        connection.set_schema_to_public()
        clinic = create_clinic(slug=CLINIC_SLUG, name="Bench Reconcile Clinic", currency="CNY", time_zone=str(ZONE),
                               language="zh-hans", admin_email=f"manager@{CLINIC_SLUG}.example",
                               password="bench-manager-password").clinic
        connection.set_tenant(clinic)
        log(f"Loading {args.orders:,} redeemed orders ...")
        load_s, (platform, actor) = timed(lambda: load(args.orders))
        log(f"Loaded in {load_s:.1f} s")

        if args.profile == "generate":
            import cProfile

            cProfile.runctx("generate_statement(platform, date(2030, 3, 1), actor=actor, today=date(2030, 4, 3))",
                            globals(), locals(), sort="cumtime")
            return 0
        generate_s, (statement, _created) = timed(
            lambda: generate_statement(platform, date(2030, 3, 1), actor=actor, today=date(2030, 4, 3)))
        lines = statement.lines.count()
        log(f"Statement of {lines:,} lines in {generate_s:.1f} s")

        def rows():
            yield ["Platform order number", "Product", "Redeemed at", "Patient", "Settlement price"]
            for line in StatementLine.objects.filter(statement=statement).values_list(
                    "order_number", "product", "redeemed_at", "patient", "amount").iterator(chunk_size=5000):
                yield [line[0], line[1], line[2].astimezone(ZONE).replace(tzinfo=None), line[3], line[4]]

        materialised = list(rows())

        def ours():
            write_xlsx(iter(materialised), io.BytesIO(), title="Statement")

        def bare():
            from openpyxl import Workbook

            book = Workbook(write_only=True)
            sheet = book.create_sheet("Statement")
            for row in materialised:
                sheet.append(row)
            book.save(io.BytesIO())

        export_s, _ = timed(ours)
        floor_s, _ = timed(bare)
        export_db_s, _ = timed(lambda: write_xlsx(rows(), io.BytesIO(), title="Statement"))
        export_peak = peak_mb(lambda: write_xlsx(rows(), io.BytesIO(), title="Statement"))
        floor_peak = peak_mb(bare)
        log(f"Export {export_s:.1f} s (bare openpyxl {floor_s:.1f} s)")

        content, planted = platform_file(args.orders)
        totals_line = len(list(_lines(content)))  # the user ticks "skip" on the totals row
        if args.profile == "import":
            import cProfile

            cProfile.runctx("import_platform_statement(statement, file_name='march.xlsx', content=content, "
                            "actor=actor, skip_lines={totals_line})", globals(), locals(), sort="cumtime")
            return 0
        import_s, _upload = timed(lambda: import_platform_statement(
            statement, file_name="march.xlsx", content=content, actor=actor, skip_lines={totals_line}))
        found = {kind: set() for kind in KINDS}
        for category, number in Difference.objects.filter(statement=statement).values_list("category",
                                                                                             "order_number"):
            found.setdefault(category, set()).add(number)
        exact = all(found.get(kind, set()) == planted[kind] for kind in KINDS) and set(found) <= set(KINDS)
        missing = sum(len(planted[k] - found.get(k, set())) for k in KINDS)
        extra = sum(len(found.get(k, set()) - planted.get(k, set())) for k in found)
        log(f"Import and matching {import_s:.1f} s; differences exact: {exact}")

        import pandas as pd

        clinic_frame = pd.DataFrame.from_records(
            list(StatementLine.objects.filter(statement=statement).values_list("order_number", "amount")),
            columns=["number", "clinic_amount"])

        def pandas_read_and_merge():
            frame = pd.read_excel(io.BytesIO(content), header=1, dtype=str)
            frame = frame[frame["渠道订单号"].notna()]
            frame["amount"] = frame["结算金额"].str.replace(r"[¥,]", "", regex=True)
            return clinic_frame.merge(frame, left_on="number", right_on="渠道订单号", how="outer", indicator=True)

        platform_frame = pd.read_excel(io.BytesIO(content), header=1, dtype=str)
        merge_s, _ = timed(lambda: clinic_frame.merge(platform_frame, left_on="number", right_on="渠道订单号",
                                                      how="outer", indicator=True))
        pandas_s, _ = timed(pandas_read_and_merge)

    figures = {
        "orders": args.orders,
        "statement_lines": lines,
        "generate_s": round(generate_s, 2),
        "export_s": round(export_s, 2),
        "export_from_db_s": round(export_db_s, 2),
        "export_openpyxl_s": round(floor_s, 2),
        "export_ratio_to_openpyxl": round(export_s / floor_s, 2),
        "export_peak_mb": round(export_peak, 1),
        "export_openpyxl_peak_mb": round(floor_peak, 1),
        "import_match_s": round(import_s, 2),
        "pandas_read_merge_s": round(pandas_s, 2),
        "pandas_merge_only_s": round(merge_s, 3),
        "import_ratio_to_pandas": round(import_s / pandas_s, 2),
        "differences_planted": sum(len(v) for v in planted.values()),
        "differences_missing": missing,
        "differences_extra": extra,
        "differences_exact": exact,
    }
    print(f"Reconciliation of {args.orders:,} redeemed orders (one month)")
    print(f"{'figure':<52}{'measured':>14}{'target':>12}")
    rows_out = [
        ("generate the statement", f"{generate_s:.2f} s", ""),
        ("export to xlsx (rows in memory) / bare openpyxl", f"{export_s:.2f} / {floor_s:.2f} s", ""),
        ("  ratio to bare openpyxl", f"{export_s / floor_s:.2f}", f"< {TARGETS['export_ratio']}"),
        ("  export straight from the database", f"{export_db_s:.2f} s", ""),
        ("  peak memory (ours / bare openpyxl)", f"{export_peak:.0f} / {floor_peak:.0f} MB",
         f"< {TARGETS['export_peak_mb']} MB"),
        ("import + match the platform's statement", f"{import_s:.2f} s", f"< {TARGETS['import_match_s']} s"),
        ("  pandas read_excel + merge (reference)", f"{pandas_s:.2f} s", ""),
        ("  pandas merge alone", f"{merge_s:.3f} s", ""),
        ("planted differences found / missing / extra",
         f"{figures['differences_planted'] - missing} / {missing} / {extra}", "all / 0 / 0"),
    ]
    for name, measured, target in rows_out:
        print(f"{name:<52}{measured:>14}{target:>12}")
    print(json.dumps(figures))
    return 0 if exact else 1


def _lines(content: bytes):
    from clinic.spreadsheets import read_rows

    yield from read_rows("march.xlsx", content)


if __name__ == "__main__":
    sys.exit(main())
