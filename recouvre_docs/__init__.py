"""recouvre-docs: turn an unpaid-invoice case folder into a filing-ready, indexed case file."""

__version__ = "0.1.0"
