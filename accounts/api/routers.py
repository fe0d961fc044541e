from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Every API path answers with and without a trailing slash, as partner systems send both."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
