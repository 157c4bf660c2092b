"""The Conversion Wizard: a biller's payment portal data, moved to Daffron without loss."""

__version__ = "0.1.0"
