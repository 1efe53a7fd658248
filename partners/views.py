"""(Being written.)"""

from django.http import Http404


def partner_list(request, *args, **kwargs):
    raise Http404


def partner_create(request, *args, **kwargs):
    raise Http404


def partner_edit(request, *args, **kwargs):
    raise Http404


def partner_remove(request, *args, **kwargs):
    raise Http404


def traffic_channels(request, *args, **kwargs):
    raise Http404
