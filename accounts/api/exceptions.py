from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, AuthenticationFailed, NotAuthenticated, Throttled
from rest_framework.request import Request
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.concurrency import RecordClosed, StaleWrite
from accounts.throttling import AnonRateThrottle


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def anonymous_refusal(exc: APIException, request: Request) -> APIException:
    """A call without valid credentials counts toward the anonymous rate of its address (DRF checks the
    throttles only after the permissions, so a 401 would otherwise never be counted): guessing tokens is
    throttled like any anonymous call."""
    throttle = AnonRateThrottle()
    if throttle.allow_request(request, None):
        return exc
    return Throttled(wait=throttle.wait())


def exception_handler(exc, context):
    """Services raise Django's ValidationError (400 naming the fields), StaleWrite (412) and RecordClosed (409)."""
    if isinstance(exc, RecordClosed):
        exc = Conflict(exc.message)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = serializers.ValidationError(detail)
    if isinstance(exc, (NotAuthenticated, AuthenticationFailed)):
        exc = anonymous_refusal(exc, context["request"])
    stale = isinstance(exc, StaleWrite)
    if stale:
        current = exc.current_etag
        exc = PreconditionFailed(str(exc))
    response = drf_exception_handler(exc, context)
    if stale and response is not None:
        response["ETag"] = current
    return response
