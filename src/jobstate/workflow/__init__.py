"""The translation pipeline: one definition, run by Step Functions in AWS and in-process locally."""
