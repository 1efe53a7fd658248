class DomainError(Exception):
    """A business rule refused an operation; the message is fit to show a person.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)

    def add_to(self, form) -> None:
        """Show the message next to its field in ``form`` (above the form if it has no such field)."""
        form.add_error(self.field if self.field in form.fields else None, self.message)
