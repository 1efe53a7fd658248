"""The project's date and time formats per language (FORMAT_MODULE_PATH): one set used by
pages, messages, e-mails and PDFs. Beside Django's names (DATE_FORMAT, ...) each language
defines WEEKDAY_DATE_FORMAT, WEEKDAY_DATETIME_FORMAT, SHORT_MONTH_DAY_FORMAT and
SHORT_WEEKDAY_DAY_FORMAT; use them by name: ``{{ day|date:"WEEKDAY_DATE_FORMAT" }}``,
``date_format(day, "WEEKDAY_DATE_FORMAT")``.

The month names after a day ("E": the genitive in Russian, lower case in Romanian) are
Django's "alt. month" strings; listed here so that the project's catalogue carries them and
can correct a language (Romanian months are written in lower case).
"""

from django.utils.translation import pgettext_lazy

ALT_MONTHS = [
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
]
