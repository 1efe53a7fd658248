"""(Being written.)"""

from django.http import Http404


def book(request, *args, **kwargs):
    raise Http404


def booking_new(request, *args, **kwargs):
    raise Http404


def patient_search(request, *args, **kwargs):
    raise Http404


def booking_list(request, *args, **kwargs):
    raise Http404


def booking_detail(request, *args, **kwargs):
    raise Http404


def booking_cancel(request, *args, **kwargs):
    raise Http404


def booking_move(request, *args, **kwargs):
    raise Http404
