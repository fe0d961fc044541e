"""The plan-template library pages: the list (system and the practice's own, filtered by diagnosis and words), a
template's preview, its details edited, a copy of one into the practice, its removal, and a plan saved as one.

Templates hold no patient data: the library is a `RecordPage` like the intervention library. A user sees the
system library and their practice's templates (another practice's: 404); changing one is for its author or a
practice admin, never for the system library (403, `services.templates.check_template_edit`).
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse

from accounts.audit import Action, AuditContext, audit_record
from accounts.forms import add_service_error
from accounts.models import Practice, User
from accounts.pages import RecordPage
from treatment import diagnoses
from treatment.models import PlanTemplate
from treatment.services.template_save import check_plan_template_save, plan_template_save
from treatment.services.templates import (
    check_template_edit,
    plan_template_create,
    plan_template_delete,
    plan_template_update,
)
from treatment.template_forms import SaveAsTemplateForm, TemplateDetailsForm
from treatment.template_selectors import template_tree, templates_for, templates_visible, tree_as_data
from treatment.views.base import PlanPage, respond

QUERY_MAX = 100


def may_save_as_template(user, plan) -> bool:
    """Whether the plan page offers "Save as template" (the service decides again when it is posted)."""
    try:
        check_plan_template_save(user, plan, seen=True)  # the plan page found it visible
    except PermissionDenied:
        return False
    return True


def can_edit(user, template: PlanTemplate) -> bool:
    try:
        check_template_edit(user, template)
    except PermissionDenied:
        return False
    return True


class TemplatePage(RecordPage):
    """A library page: the templates the user's practice can use (else 404); changing one: `check_template_edit`."""

    model = PlanTemplate

    def records(self):
        return templates_visible(self.request.user)

    def require_change(self, record: PlanTemplate) -> None:
        check_template_edit(cast(User, self.request.user), record)

    @property
    def audit(self) -> AuditContext:
        return AuditContext.from_request(self.request)


class TemplateListView(TemplatePage):
    """`/templates/`: the library, those fitting `?diagnosis=` first, narrowed by `?search=` and `?source=`."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args, **kwargs):
        diagnosis = diagnoses.normalize(request.GET.get("diagnosis", "").strip()[:10])
        search = request.GET.get("search", "").strip()[:QUERY_MAX]
        source = request.GET.get("source", "")
        matches = templates_for(request.user, diagnosis=diagnosis or None, search=search or None)
        if source == "system":
            matches = [m for m in matches if m.template.is_system]
        elif source == "practice":
            matches = [m for m in matches if not m.template.is_system]
        context = {
            "matches": matches,
            "diagnosis": diagnosis,
            "diagnosis_entry": diagnoses.lookup(diagnosis) if diagnosis else None,
            "search": search,
            "source": source,
            "filtered": bool(diagnosis or search or source),
        }
        return render(request, "treatment/template_list.html", context)


class TemplateDetailView(TemplatePage):
    """`/templates/<pk>/`: the template's preview (its tree; for htmx only the tree, the builder's preview), with
    the builder's actions for those who may change it and "Copy to my practice" for the others."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args, **kwargs):
        template = self.object
        editable = can_edit(request.user, template)
        context = {
            "template": template,
            "tree": template_tree(template),
            "codes": [
                {"code": code, "description": entry["description"] if entry else ""}
                for code, entry in ((code, diagnoses.lookup(code)) for code in template.diagnosis_codes)
            ],
            "editable": editable,
            "can_copy": cast(User, request.user).practice_id is not None,
        }
        return respond(request, "treatment/_template_tree.html", "treatment/template_detail.html", context)


class TemplateEditView(TemplatePage):
    """`/templates/<pk>/edit/`: a practice template's name, summary, codes and problems (`plan_template_update`)."""

    required_action = "change"
    http_method_names = ["get", "post"]

    def render_form(self, form: TemplateDetailsForm):
        return render(self.request, "treatment/template_form.html", {"template": self.object, "form": form})

    def get(self, request: HttpRequest, *args, **kwargs):
        return self.render_form(TemplateDetailsForm(initial=TemplateDetailsForm.initial_for(self.object)))

    def post(self, request: HttpRequest, *args, **kwargs):
        form = TemplateDetailsForm(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        try:
            template = plan_template_update(by=self.audit, template=self.object, **form.service_fields())
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_form(form)
        messages.success(request, f"{template.name} was saved.")
        return redirect("plan-template-detail", template.pk)


class TemplateCopyView(TemplatePage):
    """POST `/templates/<pk>/copy/`: the template, tree and all, as a new template of the user's practice (the
    way to adapt a system template, which is read-only)."""

    http_method_names = ["post"]
    practice_required = True

    def post(self, request: HttpRequest, *args, **kwargs):
        source = self.object
        user = cast(User, request.user)
        try:
            copy = plan_template_create(
                by=self.audit,
                practice=cast(Practice, user.practice),  # `practice_required`
                name=f"{source.name} (our copy)",
                summary=source.summary,
                goals=tree_as_data(template_tree(source)),
                diagnosis_codes=list(source.diagnosis_codes),
                presenting_problems=list(source.presenting_problems),
                sources=list(source.sources),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("plan-template-detail", source.pk)
        messages.success(request, f"{copy.name} was added to your practice's templates: change it as you need.")
        return redirect("plan-template-detail", copy.pk)


class TemplateDeleteView(TemplatePage):
    """`/templates/<pk>/delete/`: GET asks to confirm; POST removes a practice template (plans made from it keep
    their goals)."""

    required_action = "change"
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, *args, **kwargs):
        return render(request, "treatment/template_delete.html", {"template": self.object})

    def post(self, request: HttpRequest, *args, **kwargs):
        name = self.object.name
        plan_template_delete(by=self.audit, template=self.object)
        messages.success(request, f"{name} was removed from your practice's templates.")
        return redirect("plan-template-list")


class PlanSaveTemplateView(PlanPage):
    """`/plans/<pk>/save-as-template/`: the plan's tree as a practice template, with nothing of the patient
    (`plan_template_save`: the plan's clinician or a practice admin; else 403)."""

    http_method_names = ["get", "post"]
    template_name = "treatment/plan_save_template.html"

    def render_form(self, form: SaveAsTemplateForm):
        context = {"plan": self.plan, "patient": self.plan.patient, "form": form}
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args, **kwargs):
        check_plan_template_save(cast(User, request.user), self.plan, seen=True)
        audit_record(self.audit, Action.VIEW, self.plan)
        return self.render_form(SaveAsTemplateForm(initial={"name": self.plan.title}))

    def post(self, request: HttpRequest, *args, **kwargs):
        form = SaveAsTemplateForm(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        try:
            template = plan_template_save(by=self.audit, plan=self.plan, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_form(form)
        messages.success(request, f"{template.name} was saved as a template of your practice.")
        return redirect(reverse("plan-template-detail", args=[template.pk]))


urlpatterns = [
    path("templates/", TemplateListView.as_view(), name="plan-template-list"),
    path("templates/<uuid:pk>/", TemplateDetailView.as_view(), name="plan-template-detail"),
    path("templates/<uuid:pk>/edit/", TemplateEditView.as_view(), name="plan-template-edit"),
    path("templates/<uuid:pk>/copy/", TemplateCopyView.as_view(), name="plan-template-copy"),
    path("templates/<uuid:pk>/delete/", TemplateDeleteView.as_view(), name="plan-template-delete"),
    path("plans/<uuid:pk>/save-as-template/", PlanSaveTemplateView.as_view(), name="plan-save-template"),
]
