"""The API's search filter (REST_FRAMEWORK's DEFAULT_FILTER_BACKENDS). A module of its own:
DRF reads its settings while core.api is still importing."""

from rest_framework import filters, serializers


class SearchFilter(filters.SearchFilter):
    """DRF's `?search=`, whose refusal (a NUL character in the text) is a field error like every
    other 400 (DRF raises it as a bare list, which no documented 400 body is)."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.search_param: exc.detail}) from exc
