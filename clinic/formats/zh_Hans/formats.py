# Chinese: year, month, day, then the weekday ("2026年12月5日 星期六").
from django.conf.locale.zh_Hans.formats import *  # noqa: F401,F403

DATE_FORMAT = "Y年n月j日"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y年n月j日 H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
WEEKDAY_DATE_FORMAT = "Y年n月j日 l"  # 2026年12月5日 星期六
WEEKDAY_DATETIME_FORMAT = "Y年n月j日 l H:i"
SHORT_MONTH_DAY_FORMAT = "n月j日"
SHORT_WEEKDAY_DAY_FORMAT = "n月j日 D"
