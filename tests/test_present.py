"""The Markdown escaping boundary: text from data prints as written in notebooks and PDFs."""
import pandas as pd

from analysis.core.present import RawMarkup, md_escape, md_table


def test_data_text_is_escaped_but_product_markup_and_numbers_pass():
    assert md_escape("a|b *c* _d_ <e> @f $g") == r"a\|b \*c\* \_d\_ \<e\> \@f \$g"
    raw = RawMarkup('`#text(fill: rgb("#1a7f37"))[已完成]`{=typst}')
    assert md_escape(raw) == raw and md_escape(3.5) == 3.5


def test_raw_typst_typed_into_a_synthetic_source_title_is_escaped():
    """The same characters from data are text: the type decides, never the content."""
    hostile = '`#text(fill: red, size: 30pt)[X]`{=typst}'
    out = md_escape(hostile)
    assert out != hostile and out.startswith("\\`") and "\\{\\=typst\\}" in out
    table = md_table(pd.DataFrame({"source": [hostile]}))
    assert "`{=typst}" not in table


def test_a_pipe_in_a_synthetic_source_title_does_not_split_the_table():
    table = md_table(pd.DataFrame({"source": ["SYNTHETIC | title"], "value": [1.5]}))
    body = table.splitlines()[2]
    assert body.count("|") - body.count(r"\|") == 3          # two cells: three unescaped separators
