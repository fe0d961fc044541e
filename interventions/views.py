"""The library pages: browse and search the interventions, add and edit a practice's own."""

from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Lower
from django.forms.models import model_to_dict
from django.shortcuts import redirect
from django.views.generic import FormView, ListView

from accounts.forms import add_service_error
from accounts.models import User
from accounts.pages import RecordPage
from interventions import services
from interventions.filters import InterventionFilter
from interventions.forms import EDIT_FIELDS, InterventionForm
from interventions.models import Category, EvidenceLevel, Intervention, Modality


def can_edit(user, intervention: Intervention) -> bool:
    try:
        services.check_can_edit(user, intervention)
    except PermissionDenied:
        return False
    return True


class InterventionPage(RecordPage):
    """A library page: the entries the user's practice can use (the system library and its own; else 404);
    changing one is for its author or a practice admin (else 403, `services.check_can_edit`)."""

    def records(self):
        return Intervention.objects.available_to(self.request.user)

    def require_change(self, record: Intervention) -> None:
        services.check_can_edit(cast(User, self.request.user), record)


class InterventionListView(InterventionPage, ListView):
    """The system library and the practice's own, filtered by the same filterset as the API."""

    template_name = "interventions/intervention_list.html"
    context_object_name = "interventions"
    paginate_by = 25

    def get_queryset(self):
        # Case-insensitive, so the order is the same on SQLite and PostgreSQL whatever the collation.
        available = super().get_queryset().order_by(Lower("name"), "pk")
        self.filterset = InterventionFilter(self.request.GET, queryset=available)
        if not self.filterset.is_valid():
            return available.none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for intervention in context["interventions"]:
            intervention.editable = can_edit(user, intervention)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter=self.filterset,
            modalities=Modality.choices,
            categories=Category.choices,
            evidence_levels=EvidenceLevel.choices,
            query_string=query.urlencode(),
            can_add=user.practice_id is not None,
        )
        return context


class InterventionFormMixin:
    form_class = InterventionForm
    template_name = "interventions/intervention_form.html"

    def form_invalid_from(self, form, error: ValidationError):
        add_service_error(form, error)
        return self.form_invalid(form)


class InterventionCreateView(InterventionPage, InterventionFormMixin, FormView):
    practice_required = True

    def form_valid(self, form):
        user = self.request.user
        try:
            intervention = services.intervention_create(practice=user.practice, created_by=user, **form.cleaned_data)
        except ValidationError as error:
            return self.form_invalid_from(form, error)
        messages.success(self.request, f"{intervention.name} was added to your practice's library.")
        return redirect("intervention-list")


class InterventionEditView(InterventionPage, InterventionFormMixin, FormView):
    """Only a practice's custom entries, by their author or a practice admin; the system library is fixed (403)."""

    required_action = "change"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "editing": True}

    def get_initial(self):
        return model_to_dict(self.object, fields=EDIT_FIELDS)

    def get_context_data(self, **kwargs):
        return super().get_context_data(intervention=self.object, **kwargs)

    def form_valid(self, form):
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        if changed:
            try:
                # A fresh copy: a refused update must not leave the page showing the refused values as stored.
                current = Intervention.objects.get(pk=self.object.pk)
                services.intervention_update(user=self.request.user, intervention=current, **changed)
            except ValidationError as error:
                return self.form_invalid_from(form, error)
            messages.success(self.request, f"{current.name} was saved.")
        else:
            messages.info(self.request, "Nothing changed.")
        return redirect("intervention-list")
