"""Regression tests of the security review (issue 13): one file per finding."""
