"""A flag's badge reads on any background colour a clinic chooses (WCAG AA, 4.5:1)."""

import pytest

from clinic.contrast import contrast, text_colour_on
from clinic.patients.models import Flag
from clinic.templatetags.ui import text_on


@pytest.mark.parametrize("background", ["#e83e8c", "#c2255c", "#6f42c1", "#dc3545", "#ffc107", "#ffffff",
                                        "#000000", "#777777", "#0d6efd", "#20c997", "#fd7e14", "#abc"])
def test_the_text_colour_chosen_for_a_background_reads_at_least_at_4_5_to_1(background):
    assert contrast(background, text_colour_on(background)) >= 4.5


def test_white_on_dark_colours_black_on_light_ones():
    assert text_colour_on("#6f42c1") == "#ffffff"
    assert text_colour_on("#ffc107") == "#000000"
    assert text_colour_on("#e83e8c") == "#000000"  # white read 3.81:1 on the old barter pink


def test_what_is_not_a_colour_gets_dark_text():
    assert text_on("") == "#000000"
    assert text_on("pink") == "#000000"


def test_the_default_flag_colour_takes_white_text_at_4_5_to_1():
    default = Flag._meta.get_field("colour").default
    assert text_colour_on(default) == "#ffffff"
    assert contrast(default, "#ffffff") >= 4.5
