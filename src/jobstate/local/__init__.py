"""The local service: jobstate on one machine, with moto standing in for AWS."""
