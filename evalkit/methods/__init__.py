"""Methods layer: pre/post, pooling, funnel plots, difference-in-differences, instrument validation."""
