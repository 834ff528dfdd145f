"""Greenhouse-gas accounting for enterprises and carbon footprints for products."""
