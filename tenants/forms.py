"""What every side's forms share."""


def errors_text(form) -> str:
    """A form's errors as one message, for a page that answers with a redirect and a notice."""
    return " ".join(" ".join(errors) for errors in form.errors.values())
