"""Removing what a browser test of platforms left: the platforms (public schema) with their
secrets, products, enrolments and audit entries, and clinic alpha's inventory of their
products (which protects them)."""

from __future__ import annotations


def forget_platforms(committed, committed_public, codes) -> None:
    def product_ids():
        from platforms.catalogue.models import Product

        return list(Product.objects.filter(platform__code__in=list(codes)).values_list("pk", flat=True))

    products = committed_public(product_ids)

    def clinic_side():
        from auditlog.context import disable_auditlog

        from platforms.models import ChannelStock

        with disable_auditlog():
            ChannelStock.objects.filter(product_id__in=products).delete()

    def public_side():
        from auditlog.context import disable_auditlog
        from auditlog.models import LogEntry

        from platforms.catalogue.models import Enrolment, Platform, Product, ProductService, SigningSecret

        platforms = list(Platform.objects.filter(code__in=list(codes)).values_list("pk", flat=True))
        owned = {
            "platform": platforms,
            "product": products,
            "enrolment": list(Enrolment.objects.filter(platform_id__in=platforms).values_list("pk", flat=True)),
            "signingsecret": list(SigningSecret.objects.filter(platform_id__in=platforms).values_list("pk", flat=True)),
            "productservice": list(ProductService.objects.filter(product_id__in=products).values_list("pk", flat=True)),
        }
        with disable_auditlog():
            for model, pks in owned.items():
                LogEntry.objects.filter(content_type__app_label="platform_catalogue", content_type__model=model,
                                        object_pk__in=[str(pk) for pk in pks]).delete()
            # Not .delete(): its cascade would look for the clinics' tables (orders, inventory)
            # in the public schema.
            Enrolment.objects.filter(platform_id__in=platforms)._raw_delete("default")
            ProductService.objects.filter(product_id__in=products)._raw_delete("default")
            Product.objects.filter(pk__in=products)._raw_delete("default")
            SigningSecret.objects.filter(platform_id__in=platforms)._raw_delete("default")
            Platform.objects.filter(pk__in=platforms)._raw_delete("default")

    committed(clinic_side)
    committed_public(public_side)
