from rest_framework import serializers


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """An id field that accepts only records the caller may see (others read as "does not exist").

    `queryset` is the unrestricted queryset; its manager's `restrict(user, "view")` narrows it.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.UUIDField(format="hex_verbose"))
        super().__init__(**kwargs)

    def get_queryset(self):
        return super().get_queryset().restrict(self.context["request"].user, "view")
