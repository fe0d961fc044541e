"""The treatment-plan document page: `plan-version-document` (/plans/<pk>/versions/<n>/document/).

The PDF of a fully signed version when it is rendered (an attachment, audited as an export); until then a
page that says it is being prepared (202), whose status asks again every 3 seconds (htmx: the status partial,
which offers the download link once ready). The first request
queues the render; a version that is not fully signed has no document (404). Reading the plan is enough.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path

from accounts.audit import Action, audit_record
from reviews.models import PlanDocument, ReportStatus
from reviews.reports.download import pdf_response
from reviews.services.documents import document_request
from reviews.views.reviews import _version
from treatment.views.base import PlanPage, respond


class PlanDocumentView(PlanPage):
    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        plan = self.plan
        version = _version(plan, kwargs["number"])
        try:
            document = document_request(by=self.audit, version=version)
        except PlanDocument.DoesNotExist:
            raise Http404("This version is not fully signed: it has no treatment-plan document.") from None
        if document.status != ReportStatus.READY or request.htmx:
            # htmx asks for the status only (the PDF is downloaded by the link the ready status offers).
            audit_record(self.audit, Action.VIEW, document)
            context = {"plan": plan, "patient": plan.patient, "version": version, "document": document}
            response = respond(request, "reviews/_document_status.html", "reviews/document_status.html", context)
            response.status_code = 200 if document.status == ReportStatus.READY else 202
            return response
        response = pdf_response(document)
        audit_record(self.audit, Action.EXPORT, document)
        return response


urlpatterns = [
    path("plans/<uuid:pk>/versions/<int:number>/document/", PlanDocumentView.as_view(), name="plan-version-document"),
]
