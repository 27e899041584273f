"""`rounds simulate`: a day of the demo provider's worker apps through the gateway."""
