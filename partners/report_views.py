"""(Being written.)"""

from django.http import Http404


def statistics(request, *args, **kwargs):
    raise Http404


def booking_cancel(request, *args, **kwargs):
    raise Http404


def account(request, *args, **kwargs):
    raise Http404


def account_pdf(request, *args, **kwargs):
    raise Http404
