# Russian: the month in the genitive after a day ("5 декабря 2026"), the nominative alone
# ("декабрь 2026" as a heading).
from django.conf.locale.ru.formats import *  # noqa: F401,F403

DATE_FORMAT = "j E Y"  # 5 декабря 2026
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j E"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
WEEKDAY_DATE_FORMAT = "l, j E Y"  # суббота, 5 декабря 2026
WEEKDAY_DATETIME_FORMAT = "l, j E Y, H:i"
SHORT_MONTH_DAY_FORMAT = "j b"
SHORT_WEEKDAY_DAY_FORMAT = "D, j b"
