"""(Being written.)"""

from django.http import Http404


def account(request, *args, **kwargs):
    raise Http404


def account_pdf(request, *args, **kwargs):
    raise Http404


def account_xlsx(request, *args, **kwargs):
    raise Http404
