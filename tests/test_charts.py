"""Charts draw Chinese with a CJK font: no glyph falls back to an empty box."""
import io
import warnings

from analysis.model.assess import assess, indicator_data
from analysis.report.charts import fan_chart, use_cjk_font
from analysis.inputs.clean import run_clean


def test_fan_chart_has_every_chinese_glyph(tmp_path, cfg):
    assert use_cjk_font() is not None, "install fonts-noto-cjk (make setup does it as root)"
    result = run_clean("2025Q2", out_dir=tmp_path / "clean")
    a = assess(result, cfg)
    t = next(t for t in cfg.targets if t.id == "retail_sales_level")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = fan_chart(t, indicator_data(result, cfg, t.indicator), a.series[t.indicator].quantiles(), unit="亿元",
                        title="社会消费品零售总额：总量突破650亿元")
        fig.savefig(io.BytesIO(), format="png")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "目标" in labels and "预测中值" in labels     # the word the text uses (经模型测算，2024年中值约…)
