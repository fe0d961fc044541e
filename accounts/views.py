from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import DetailView, FormView, ListView, UpdateView

from accounts import services
from accounts.filters import PatientFilter
from accounts.forms import EmailAuthenticationForm, PatientForm, add_service_error
from accounts.mfa.views import SecondFactorLoginMixin
from accounts.models import Patient
from accounts.pages import AuditedDetailMixin, AuditedListMixin, PatientDataPage


class LoginView(SecondFactorLoginMixin, auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=form.user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=form.user)
        return response


class PatientListView(PatientDataPage, AuditedListMixin, ListView):
    model = Patient
    select_related = ("primary_therapist",)
    paginate_by = 50
    template_name = "accounts/patient_list.html"

    def get_queryset(self):
        patients = super().get_queryset()
        query = self.request.GET.copy()
        # A caseload is the active patients unless the user asks for another status ("" = any).
        query.setdefault("status", Patient.Status.ACTIVE)
        self.filterset = PatientFilter(query, queryset=patients)
        if not self.filterset.is_valid():
            return patients.none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["statuses"] = Patient.Status.choices
        return context


class PatientDetailView(PatientDataPage, AuditedDetailMixin, DetailView):
    model = Patient
    select_related = ("primary_therapist", "practice")
    prefetch_related = ("care_team",)
    template_name = "accounts/patient_detail.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "can_change": self.can_change}


DUPLICATE_MESSAGE = (
    "A patient with this name and date of birth is already registered in the practice. Check it is not this "
    "patient; if it is a different person, tick this box and save again."
)


class PatientFormMixin:
    form_class = PatientForm
    template_name = "accounts/patient_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_invalid_from(self, form, error: ValidationError):
        add_service_error(form, error)
        return self.form_invalid(form)


class PatientCreateView(PatientDataPage, PatientFormMixin, FormView):
    practice_required = True

    def form_valid(self, form):
        user = self.request.user
        data = dict(form.cleaned_data)
        care_team = list(data.pop("care_team"))
        try:
            therapist = services.primary_therapist_for(actor=user, requested=data.pop("primary_therapist", None))
            patient = services.patient_create(
                by=self.audit, practice=user.practice, primary_therapist=therapist, care_team=care_team, **data
            )
        except services.PossibleDuplicate as duplicate:
            # Shown before anything is saved, with everything typed kept and the explicit "register anyway".
            form.offer_duplicate()
            form.add_error("confirm_duplicate", DUPLICATE_MESSAGE)
            return self.render_to_response(self.get_context_data(form=form, duplicate=duplicate))
        except ValidationError as error:
            return self.form_invalid_from(form, error)
        messages.success(self.request, f"{patient.full_name} was added.")
        return redirect(patient)


class PatientUpdateView(PatientDataPage, AuditedDetailMixin, PatientFormMixin, UpdateView):
    model = Patient
    required_action = "change"

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        care_team = list(data.pop("care_team"))
        # The form already wrote the typed values onto the instance; the service diffs against the
        # stored row, so reload it first.
        patient = Patient.objects.get(pk=self.object.pk)
        try:
            with transaction.atomic():
                services.patient_update(by=self.audit, patient=patient, **data)
                services.care_team_set(by=self.audit, patient=patient, members=care_team)
        except ValidationError as error:
            return self.form_invalid_from(form, error)
        messages.success(self.request, "Saved.")
        return redirect(patient)


@login_not_required
def healthz(request):
    """For the load balancer: the app answers and its database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_not_required
def home(request):
    if not request.user.is_authenticated:
        return redirect(reverse("login"))
    return redirect("dashboard")
