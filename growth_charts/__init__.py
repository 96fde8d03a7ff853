"""growth_charts package."""
