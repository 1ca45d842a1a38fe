"""How the coach's judgement is measured: labelled message sets, verdicts and figures.

Shared by the tests (which gate on the figures) and the scripts (which print them), so both
count the same way. Nothing here is used by the running coach.
"""
