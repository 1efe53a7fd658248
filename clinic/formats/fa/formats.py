# Django's Persian formats, with thousands grouping for money, and the project's names.
from django.conf.locale.fa.formats import *  # noqa: F401,F403

NUMBER_GROUPING = 3
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y، H:i"
SHORT_DATETIME_FORMAT = "Y/n/j H:i"
WEEKDAY_DATE_FORMAT = "l j F Y"
WEEKDAY_DATETIME_FORMAT = "l j F Y، H:i"
SHORT_MONTH_DAY_FORMAT = "j F"
SHORT_WEEKDAY_DAY_FORMAT = "D j F"
