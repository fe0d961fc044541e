from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied

from interventions import services
from interventions.api.serializers import InterventionSerializer
from interventions.filters import InterventionFilter
from interventions.models import Intervention


class InterventionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The intervention library: the built-in entries plus the caller's practice's own.

    Filter with `modality`, `category`, `evidence_level`, `is_system` and `search`. POST adds a custom
    intervention to the caller's practice; the built-in entries cannot be changed (403).
    """

    lookup_url_kwarg = "intervention_id"
    queryset = Intervention.objects.all()
    serializer_class = InterventionSerializer
    filterset_class = InterventionFilter

    def get_queryset(self):
        return Intervention.objects.available_to(self.request.user).order_by("name")

    def perform_create(self, serializer):
        user = self.request.user
        if user.practice_id is None:
            raise PermissionDenied("Your account does not belong to a practice.")
        serializer.instance = services.intervention_create(
            practice=user.practice, created_by=user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.intervention_update(
            user=self.request.user, intervention=serializer.instance, **serializer.validated_data
        )
