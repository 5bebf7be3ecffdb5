"""Reports layer: compute results, disclosure control, render pages, batch."""
