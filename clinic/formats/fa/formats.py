# Django's Persian formats, with thousands grouping for money.
from django.conf.locale.fa.formats import *  # noqa: F401,F403

NUMBER_GROUPING = 3
