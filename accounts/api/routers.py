from rest_framework.routers import SimpleRouter

#: A UUID in a path, with or without its hyphens (every record's id; nested paths name their parent's with it).
UUID = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class OptionalSlashRouter(SimpleRouter):
    """Every API path answers with and without a trailing slash, as partner systems send both."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
