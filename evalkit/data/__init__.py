"""Data-in layer: codebooks, readers and file validation, Excel template, scales, datasets."""
