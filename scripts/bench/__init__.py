"""`make bench`: the coach against the stock `rasa init` starter bot, in one run (docs/performance.md)."""
