from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.concurrency import RecordClosed, StaleWrite


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def exception_handler(exc, context):
    """Services raise Django's ValidationError (400 naming the fields), StaleWrite (412) and RecordClosed (409)."""
    if isinstance(exc, RecordClosed):
        exc = Conflict(exc.message)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = serializers.ValidationError(detail)
    stale = isinstance(exc, StaleWrite)
    if stale:
        current = exc.current_etag
        exc = PreconditionFailed(str(exc))
    response = drf_exception_handler(exc, context)
    if stale and response is not None:
        response["ETag"] = current
    return response
