"""The CDK app that deploys jobstate: one stack per environment, from the core's definitions."""
