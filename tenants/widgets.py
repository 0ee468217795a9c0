"""Form widgets every side of the product shares."""
from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is always an ISO date (`2027-01-01`), whatever the
    page's language: rendered in the German format, the field would come up empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
