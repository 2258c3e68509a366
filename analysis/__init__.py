"""What geoapp computes: pure functions of (Geo)DataFrames. No I/O, no UI."""
