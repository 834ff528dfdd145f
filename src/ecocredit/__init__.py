"""ecocredit: environmental numbers the public can trust, and carbon credits never counted twice."""

__version__ = "0.1.0"
