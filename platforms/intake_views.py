"""The intake endpoint on the public host: parse the request, call the intake, answer JSON."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .intake import MAX_BODY_BYTES, IntakeRefused, receive_order_message


@csrf_exempt
def receive_orders(request, code):
    if request.method != "POST":
        response = JsonResponse({"reason": "method_not_allowed", "detail": "POST an order message."}, status=405)
        response["Allow"] = "POST"
        return response
    # A body larger than the intake takes is refused before it is read.
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    try:
        if length > MAX_BODY_BYTES:
            raise IntakeRefused("body_too_large", "The message is larger than 64 KB.")
        answer = receive_order_message(code, request.body, request.headers)
    except IntakeRefused as refused:
        return JsonResponse(refused.body, status=refused.status)
    return JsonResponse(answer.body, status=answer.status)
