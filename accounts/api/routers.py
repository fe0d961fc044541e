from typing import Any

from rest_framework.routers import SimpleRouter

#: A UUID in a path, with or without its hyphens (every record's id; nested paths name their parent's with it).
UUID = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class OptionalSlashRouter(SimpleRouter):
    """Every API path answers with and without a trailing slash, as partner systems send both.

    A record's id in a path is named for what it is, as the spec names it (`/treatment-plans/{plan_id}`,
    `/goals/{goal_id}`), never `{id}` or `{pk}`: a viewset declares its `lookup_url_kwarg`, and one that does
    not gets `<basename>_id` (basename `plan-template` -> `plan_template_id`), in its URLs and its schema alike.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"

    def register(self, prefix: str, viewset: Any, basename: str | None = None) -> None:
        if getattr(viewset, "lookup_url_kwarg", None) is None and getattr(viewset, "lookup_field", "pk") == "pk":
            name = basename or self.get_default_basename(viewset)
            viewset.lookup_url_kwarg = f"{name.replace('-', '_')}_id"
        super().register(prefix, viewset, basename)
