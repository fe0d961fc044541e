"""The interventions pages."""

from django.urls import path

from interventions import views

urlpatterns = [
    path("interventions/", views.InterventionListView.as_view(), name="intervention-list"),
    path("interventions/new/", views.InterventionCreateView.as_view(), name="intervention-create"),
    path("interventions/<uuid:pk>/edit/", views.InterventionEditView.as_view(), name="intervention-edit"),
]
