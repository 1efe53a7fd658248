# Romanian: month and weekday names in lower case ("sâmbătă, 5 decembrie 2026"): the
# project's catalogue gives the lower-case names ("alt. month", see clinic/formats/__init__.py).
from django.conf.locale.ro.formats import *  # noqa: F401,F403

DATE_FORMAT = "j E Y"  # 5 decembrie 2026
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y, H:i"
YEAR_MONTH_FORMAT = "E Y"
MONTH_DAY_FORMAT = "j E"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
WEEKDAY_DATE_FORMAT = "l, j E Y"
WEEKDAY_DATETIME_FORMAT = "l, j E Y, H:i"
SHORT_MONTH_DAY_FORMAT = "j b"
SHORT_WEEKDAY_DAY_FORMAT = "D j b"
