"""The treatment-plan document page: `plan-version-document` (/plans/<pk>/versions/<n>/document/).

The PDF of a fully signed version when it is rendered (an attachment, audited as an export); until then a
page that says it is being prepared and asks again by itself every few seconds (202). The first request
queues the render; a version that is not fully signed has no document (404). Reading the plan is enough.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import path

from accounts.audit import Action, audit_record
from reviews.models import PlanDocument, ReportStatus
from reviews.reports.download import pdf_response
from reviews.services.documents import document_request
from reviews.views.reviews import _version
from treatment.views.base import PlanPage


class PlanDocumentView(PlanPage):
    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        plan = self.plan
        version = _version(plan, kwargs["number"])
        try:
            document = document_request(by=self.audit, version=version)
        except PlanDocument.DoesNotExist:
            raise Http404("This version is not fully signed: it has no treatment-plan document.") from None
        if document.status != ReportStatus.READY:
            audit_record(self.audit, Action.VIEW, document)
            context = {"plan": plan, "patient": plan.patient, "version": version, "document": document}
            return render(request, "reviews/document_status.html", context, status=202)
        response = pdf_response(document)
        audit_record(self.audit, Action.EXPORT, document)
        return response


urlpatterns = [
    path("plans/<uuid:pk>/versions/<int:number>/document/", PlanDocumentView.as_view(), name="plan-version-document"),
]
