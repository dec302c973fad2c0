"""The training frame on the real data: the panel and its targets, aligned."""

import pandas as pd


def test_training_frame_has_targets_aligned_with_the_panel(small_frame):
    frame = small_frame.frame
    assert frame["week"].min() == pd.Timestamp("2017-01-02") and frame["week"].max() == pd.Timestamp("2023-12-25")
    assert frame["target_any_fatal_4w"].notna().sum() > 0
    # weeks whose 4-week window runs past the data end are unobserved, not zero
    assert frame.loc[frame["week"] > "2023-11-27", "target_any_fatal_4w"].isna().all()
    assert frame.loc[frame["week"] <= "2023-11-27", "target_any_fatal_4w"].notna().all()
    assert set(frame["country_iso3"]) == {"MLI", "BFA", "NER"}
