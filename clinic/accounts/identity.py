"""One e-mail address, one identity, whatever its letters' case.

Addresses are stored normalised (``normalise_email``), unique case-insensitively (the
``accounts_user_email_ci_unique`` constraint), and every login — clinic, portal,
operator — keys its lockout (django-axes) on the normalised address, so
``Finance@Demo.Example`` shares the five tries of ``finance@demo.example``.
"""


def normalise_email(value) -> str:
    return (value or "").strip().lower()


def axes_username(request, credentials=None) -> str:
    """AXES_USERNAME_CALLABLE: the normalised address from the login form."""
    if credentials and credentials.get("username") is not None:
        return normalise_email(credentials.get("username"))
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return normalise_email(data.get("username", ""))
