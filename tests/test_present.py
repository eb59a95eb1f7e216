"""The Markdown escaping boundary: text from data prints as written in notebooks and PDFs."""
import pandas as pd

from analysis.present import md_escape, md_table


def test_data_text_is_escaped_but_raw_typst_and_numbers_pass():
    assert md_escape("a|b *c* _d_ <e> @f $g") == r"a\|b \*c\* \_d\_ \<e\> \@f \$g"
    raw = '`#text(fill: rgb("#1a7f37"))[已完成]`{=typst}'
    assert md_escape(raw) == raw and md_escape(3.5) == 3.5


def test_a_pipe_in_a_synthetic_source_title_does_not_split_the_table():
    table = md_table(pd.DataFrame({"source": ["SYNTHETIC | title"], "value": [1.5]}))
    body = table.splitlines()[2]
    assert body.count("|") - body.count(r"\|") == 3          # two cells: three unescaped separators
