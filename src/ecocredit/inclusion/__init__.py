"""Carbon-inclusion programmes: low-carbon actions become reductions, points, prizes, credits."""
