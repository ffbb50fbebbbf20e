"""The scale-out profile: several Rasa and action servers behind nginx.

services.py starts PostgreSQL, Redis and RabbitMQ when they are down and
creates what the cluster needs; nginx.py writes nginx's configuration;
launch.py starts and stops the processes (`make run-cluster`, and the tests in
tests/cluster/ use the same code).
"""
