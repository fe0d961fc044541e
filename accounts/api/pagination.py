from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (1 to 200; a larger size gets 200). A page size that is not a whole number
    of at least 1 is a 400 on `page_size`, not silently the default; a page past the end is DRF's 404."""

    page_size_query_param = "page_size"
    max_page_size = 200
    page_size_query_description = f"Number of results to return per page (at most {max_page_size})."

    def get_page_size(self, request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({self.page_size_query_param: ["A valid integer is required."]}) from None
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["Ensure this value is greater than or equal to 1."]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
