# One set of date and time formats for English pages, messages, e-mails and PDFs: day first,
# 24-hour clock (not "12/05/2026", "Dec. 5, 2026" or "noon" mixed with "07.12.2026").
from django.conf.locale.en.formats import *  # noqa: F401,F403

DATE_FORMAT = "j F Y"  # 5 December 2026
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
# The project's own names (django.utils.formats.get_format reads them from this module).
WEEKDAY_DATE_FORMAT = "l, j F Y"  # Saturday, 5 December 2026
WEEKDAY_DATETIME_FORMAT = "l, j F Y H:i"
SHORT_MONTH_DAY_FORMAT = "j M"  # 5 Dec
SHORT_WEEKDAY_DAY_FORMAT = "D j M"  # Sat 5 Dec
